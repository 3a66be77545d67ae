package chain

import (
	"bytes"
	"testing"
)

// FuzzDecodeTx: any input either fails to decode with an error or decodes
// into a transaction whose canonical encoding is the input itself.
func FuzzDecodeTx(f *testing.F) {
	for _, seed := range fuzzTxSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := DecodeTx(raw)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Bytes(), raw) {
			t.Fatalf("decoded transaction re-encodes differently: %x vs %x", tx.Bytes(), raw)
		}
		_, _ = tx.Signers() // must not panic on any signature bytes
	})
}

// FuzzDecodeBlock: decoding never panics, and a decoded block re-encodes to
// a block that decodes to the same hash.
func FuzzDecodeBlock(f *testing.F) {
	txs := fuzzTxSeeds(f)
	var decoded []*Tx
	for _, raw := range txs {
		tx, _ := DecodeTx(raw)
		decoded = append(decoded, tx)
	}
	b := &Block{Header: &Header{ChainID: "c", Height: 2, LastCommit: &Certificate{Height: 1, Sigs: []CommitSig{{Sig: make([]byte, 65)}}}}, Txs: decoded}
	f.Add(b.Bytes())
	f.Add((&Block{Header: &Header{}}).Bytes())
	f.Fuzz(func(t *testing.T, raw []byte) {
		blk, err := DecodeBlock(raw)
		if err != nil {
			return
		}
		again, err := DecodeBlock(blk.Bytes())
		if err != nil {
			t.Fatalf("re-encoded block does not decode: %v", err)
		}
		if again.Hash() != blk.Hash() {
			t.Fatal("re-encoded block has another hash")
		}
	})
}

func fuzzTxSeeds(f *testing.F) [][]byte {
	key := testKey("fuzz", 0)
	var out [][]byte
	for i, body := range []Body{
		Transfer{To: addr(key), Asset: "CNY", Amount: 1},
		Mint{To: addr(key), Asset: "USD", Amount: 1 << 40},
		Burn{Asset: "CNY", Amount: 7},
		RegisterAccount{Account: addr(key)},
	} {
		tx := NewTx("sovereign-test", uint64(i), body)
		if err := tx.Sign(key); err != nil {
			f.Fatal(err)
		}
		out = append(out, tx.Bytes())
	}
	return out
}

// TestEveryTypeDecodes: every named transaction type has a decoder and
// every decoder a name, so a new type cannot be half added.
func TestEveryTypeDecodes(t *testing.T) {
	for typ := range txTypeNames {
		if bodyDecoders[typ] == nil {
			t.Errorf("%s has no decoder", typ)
		}
	}
	for typ := range bodyDecoders {
		if _, ok := txTypeNames[typ]; !ok {
			t.Errorf("type %d has a decoder but no name", typ)
		}
	}
}
