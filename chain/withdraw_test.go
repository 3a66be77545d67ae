package chain

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// TestCheckPayoutDetails: only a well-formed ECIES ciphertext (go-ethereum's
// layout for a secp256k1 key) passes; plaintext and near misses are refused
// with details_not_encrypted, the wrong size with malformed.
func TestCheckPayoutDetails(t *testing.T) {
	key, _ := crypto.GenerateKey()
	sealed, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(&key.PublicKey), []byte("IBAN DE89 3704 0044 0532 0130 00"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := bytes.Clone(sealed)
	offCurve[40] ^= 1 // R's X changes: no longer on the curve (overwhelmingly)
	compressed := append(crypto.CompressPubkey(&key.PublicKey), bytes.Repeat([]byte{1}, 80)...)
	plain := bytes.Repeat([]byte("account 12345678 sort code 00-00-00 "), 4)
	for _, c := range []struct {
		name    string
		details []byte
		want    error
	}{
		{"ecies ciphertext", sealed, nil},
		{"plaintext", plain, ErrDetailsNotEncrypted},
		{"plaintext starting 0x04", append([]byte{4}, plain...), ErrDetailsNotEncrypted},
		{"key off the curve", offCurve, ErrDetailsNotEncrypted},
		{"compressed key", compressed, ErrDetailsNotEncrypted},
		{"too short for an ecies envelope", sealed[:eciesOverhead], ErrDetailsNotEncrypted},
		{"empty", nil, ErrMalformed},
		{"too long", append(bytes.Clone(sealed), make([]byte, MaxPayoutDetails)...), ErrMalformed},
	} {
		err := CheckPayoutDetails(c.details)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
