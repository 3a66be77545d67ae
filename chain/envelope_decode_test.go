package chain

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"pgregory.net/rapid"
)

// decodeEnvelopeRLP is the definition decodeEnvelope is held to.
func decodeEnvelopeRLP(raw []byte) (txEnvelope, error) {
	var env txEnvelope
	err := rlp.DecodeBytes(raw, &env)
	return env, err
}

// TestDecodeEnvelopeMatchesRLP: on valid envelopes and on every kind of
// damage to them (bytes flipped, cut, inserted, lengths and list headers
// changed), the hand-written decoder accepts exactly what the reflective
// rlp decoder accepts and gives the same fields.
func TestDecodeEnvelopeMatchesRLP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		env := txEnvelope{
			ChainID: rapid.StringN(0, 70, -1).Draw(t, "chainID"),
			Type:    TxType(rapid.Uint8().Draw(t, "type")),
			Nonce:   rapid.OneOf(rapid.Uint64Range(0, 200), rapid.Uint64()).Draw(t, "nonce"),
			Payload: rapid.SliceOfN(rapid.Byte(), 0, 80).Draw(t, "payload"),
			Sigs:    rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 66), 0, 3).Draw(t, "sigs"),
		}
		raw, err := rlp.EncodeToBytes(&env)
		if err != nil {
			t.Fatal(err)
		}
		for n := rapid.IntRange(0, 3).Draw(t, "edits"); n > 0; n-- {
			switch rapid.IntRange(0, 3).Draw(t, "edit") {
			case 0: // flip a byte
				if len(raw) > 0 {
					i := rapid.IntRange(0, len(raw)-1).Draw(t, "at")
					raw[i] = rapid.Byte().Draw(t, "to")
				}
			case 1: // cut
				raw = raw[:rapid.IntRange(0, len(raw)).Draw(t, "len")]
			case 2: // insert
				i := rapid.IntRange(0, len(raw)).Draw(t, "insertAt")
				raw = append(raw[:i:i], append([]byte{rapid.Byte().Draw(t, "byte")}, raw[i:]...)...)
			case 3: // append
				raw = append(raw, rapid.SliceOfN(rapid.Byte(), 1, 3).Draw(t, "tail")...)
			}
		}
		check(t, raw)
	})
}

// TestDecodeEnvelopeEdgeCases covers hand-picked encodings at the edges of
// canonical RLP.
func TestDecodeEnvelopeEdgeCases(t *testing.T) {
	for _, raw := range [][]byte{
		{},
		{0xc0},
		{0xc5, 0x80, 0x80, 0x80, 0x80, 0xc0}, // all empty: valid
		{0xc5, 0x80, 0x00, 0x80, 0x80, 0xc0}, // type 0x00: non-canonical
		{0xc6, 0x80, 0x81, 0x05, 0x80, 0x80, 0xc0},                      // type 5 as a string: non-canonical
		{0xc7, 0x80, 0x82, 0x01, 0x00, 0x80, 0x80, 0xc0},                // type 256 overflows uint8
		{0xc6, 0x80, 0x81, 0x80, 0x80, 0x80, 0xc0},                      // type 128: valid
		{0xce, 0x80, 0x80, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xc0}, // nonce over 64 bits
		{0xcd, 0x80, 0x80, 0x88, 0xff, 0, 0, 0, 0, 0, 0, 1, 0x80, 0xc0}, // nonce of 64 bits: valid
		{0xc6, 0x80, 0x80, 0x81, 0x00, 0x80, 0xc0},                      // nonce with a leading zero
		{0xc6, 0x80, 0x80, 0x80, 0x80, 0xc1, 0x05},                      // one-byte signature
		{0xc6, 0x80, 0x80, 0x80, 0x80, 0xc1, 0xc0},                      // signature that is a list
		{0xc6, 0x80, 0x80, 0x80, 0xc0, 0xc0, 0x80},                      // payload that is a list
		{0xc6, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x80},                      // six fields
		{0xc4, 0x80, 0x80, 0x80, 0x80},                                  // four fields
		{0xc5, 0x80, 0x80, 0x80, 0x80, 0x80},                            // sigs not a list
		{0xc5, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x00},                      // a byte after the list
		{0xf8, 0x05, 0x80, 0x80, 0x80, 0x80, 0xc0},                      // long list header for a short list
	} {
		check(t, raw)
	}
}

type fataler interface {
	Fatalf(format string, args ...any)
}

func check(t fataler, raw []byte) {
	want, wantErr := decodeEnvelopeRLP(raw)
	got, gotErr := decodeEnvelope(bytes.Clone(raw))
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("%x: decodeEnvelope error %v, rlp error %v", raw, gotErr, wantErr)
	case gotErr == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("%x: decodeEnvelope %+v, rlp %+v", raw, got, want)
	}
}
