package chain

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"pgregory.net/rapid"
)

// TestSigningHashMatchesRLP pins the hand-written SigningHash to the RLP
// list it is defined as (the golden value in canonical_test.go pins one
// case; this covers every length class of every field).
func TestSigningHashMatchesRLP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tx := &Tx{env: txEnvelope{
			ChainID: rapid.String().Draw(t, "chainID"),
			Type:    TxType(rapid.Uint8().Draw(t, "type")),
			Nonce:   rapid.Uint64().Draw(t, "nonce"),
			Payload: rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "payload"),
		}}
		want := rlpHash([]any{"sovereign-tx", tx.env.ChainID, tx.env.Type, tx.env.Nonce, tx.env.Payload})
		if got := tx.SigningHash(); got != want {
			t.Fatalf("SigningHash %s, rlpHash of the list %s", got, want)
		}
	})
}

// TestRecoverSignerMatchesSigToPub checks the direct address derivation
// against go-ethereum's SigToPub + PubkeyToAddress, on real signatures and
// on signatures with bytes flipped (which recover some other key or none).
func TestRecoverSignerMatchesSigToPub(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key, err := crypto.ToECDSA(crypto.Keccak256(rapid.SliceOfN(rapid.Byte(), 1, 32).Draw(t, "seed")))
		if err != nil {
			t.Skip("not a key")
		}
		hash := common.BytesToHash(rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "hash"))
		sig, err := crypto.Sign(hash.Bytes(), key)
		if err != nil {
			t.Fatal(err)
		}
		tamper := rapid.Bool().Draw(t, "tamper")
		if tamper {
			i := rapid.IntRange(0, 63).Draw(t, "at")
			sig[i] ^= rapid.Byte().Filter(func(b byte) bool { return b != 0 }).Draw(t, "xor")
		}
		got, gotErr := recoverSigner(hash, sig)
		var want common.Address
		pub, wantErr := crypto.SigToPub(hash.Bytes(), sig)
		if wantErr == nil {
			want = crypto.PubkeyToAddress(*pub)
		}
		switch {
		case gotErr != nil && !tamper:
			t.Fatalf("recoverSigner refuses a real signature: %v", gotErr)
		case gotErr != nil:
			// refused: also the high-s signatures SigToPub would accept
		case wantErr != nil || got != want:
			t.Fatalf("recoverSigner %s, SigToPub gives %s (%v)", got, want, wantErr)
		case !tamper && got != crypto.PubkeyToAddress(key.PublicKey):
			t.Fatalf("recoverSigner %s, the signer is %s", got, crypto.PubkeyToAddress(key.PublicKey))
		}
	})
}
