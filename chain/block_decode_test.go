package chain

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"pgregory.net/rapid"
)

// TestDecodeBlockKnownMatchesRLP: whatever transactions the node already
// knows, and however the bytes are damaged, DecodeBlockKnown accepts
// exactly what the reflective decoding of wireBlock accepts, gives the same
// block, and hands out the known copies themselves.
func TestDecodeBlockKnownMatchesRLP(t *testing.T) {
	key := testKey("block", 0)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 6).Draw(t, "txs")
		blk := &Block{Header: &Header{ChainID: "c", Height: rapid.Uint64Range(1, 1000).Draw(t, "height")}}
		known := map[common.Hash]*Tx{}
		for i := 0; i < n; i++ {
			tx := NewTx("c", uint64(i), Transfer{To: addr(key), Asset: "CNY", Amount: rapid.Uint64Range(1, 1<<40).Draw(t, "amount")})
			if err := tx.Sign(key); err != nil {
				t.Fatal(err)
			}
			blk.Txs = append(blk.Txs, tx)
			if rapid.Bool().Draw(t, "known") {
				known[tx.Hash()] = tx
			}
		}
		raw := blk.Bytes()
		raw = damage(t, raw)
		var want wireBlock
		wantErr := rlp.DecodeBytes(raw, &want)
		got, err := DecodeBlockKnown(raw, func(h common.Hash) *Tx { return known[h] })
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("DecodeBlockKnown err %v, reflective decoding err %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(got.Bytes(), raw) || got.Hash() != want.Header.Hash() || len(got.Txs) != len(want.Txs) {
			t.Fatal("DecodeBlockKnown gave another block than the reflective decoding")
		}
		for i, tx := range got.Txs {
			if k := known[tx.Hash()]; k != nil && k != tx {
				t.Fatalf("transaction %d is known but was decoded again", i)
			}
		}
	})
}

// damage makes up to three edits to raw: a byte changed, the end cut off,
// a byte inserted or bytes appended.
func damage(t *rapid.T, raw []byte) []byte {
	for n := rapid.IntRange(0, 3).Draw(t, "edits"); n > 0; n-- {
		switch rapid.IntRange(0, 3).Draw(t, "edit") {
		case 0:
			if len(raw) > 0 {
				raw[rapid.IntRange(0, len(raw)-1).Draw(t, "at")] = rapid.Byte().Draw(t, "to")
			}
		case 1:
			raw = raw[:rapid.IntRange(0, len(raw)).Draw(t, "len")]
		case 2:
			i := rapid.IntRange(0, len(raw)).Draw(t, "insertAt")
			raw = append(raw[:i:i], append([]byte{rapid.Byte().Draw(t, "byte")}, raw[i:]...)...)
		case 3:
			raw = append(raw, rapid.SliceOfN(rapid.Byte(), 1, 3).Draw(t, "tail")...)
		}
	}
	return raw
}

// BenchmarkDecodeBlock decodes a block of 2,000 transfers the node has met
// before (a proposal after gossip) and one it has not (a synced block).
func BenchmarkDecodeBlock(b *testing.B) {
	key := testKey("block", 0)
	blk := &Block{Header: &Header{ChainID: "c", Height: 1}}
	known := map[common.Hash]*Tx{}
	for i := 0; i < 2000; i++ {
		tx := NewTx("c", uint64(i), Transfer{To: addr(key), Asset: "CNY", Amount: 5})
		if err := tx.Sign(key); err != nil {
			b.Fatal(err)
		}
		blk.Txs = append(blk.Txs, tx)
		known[tx.Hash()] = tx
	}
	raw := blk.Bytes()
	for _, c := range []struct {
		name  string
		known TxLookup
	}{{"known", func(h common.Hash) *Tx { return known[h] }}, {"unknown", nil}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeBlockKnown(raw, c.known); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
