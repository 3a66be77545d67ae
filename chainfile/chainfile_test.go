package chainfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

var genesisOnce = sync.OnceValue(func() []byte {
	raw, err := json.Marshal(devnet.DefaultGenesis(1))
	if err != nil {
		panic(err)
	}
	return raw
})

// testGenesis is a valid genesis (the devnet's, one validator).
func testGenesis() *chain.Genesis {
	g, err := chain.ParseGenesis(genesisOnce())
	if err != nil {
		panic(err)
	}
	return g
}

func testFile(t testing.TB, blocks int, final bool) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testGenesis())
	if err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= blocks; h++ {
		tx := chain.NewTx("sovereign-devnet", uint64(h), chain.Transfer{To: common.Address{3}, Asset: "CNY", Amount: uint64(h)})
		if err := w.WriteBlock(&chain.Block{Header: &chain.Header{ChainID: "sovereign-devnet", Height: uint64(h)}, Txs: []*chain.Tx{tx}}); err != nil {
			t.Fatal(err)
		}
	}
	var cert *chain.Certificate
	if final {
		cert = &chain.Certificate{Height: uint64(blocks), BlockHash: common.Hash{9}}
	}
	if err := w.Finish(cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(raw []byte) (*Reader, []*chain.Block, error) {
	r, err := NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	var out []*chain.Block
	for {
		b, err := r.Next()
		if err == io.EOF {
			return r, out, nil
		}
		if err != nil {
			return r, out, err
		}
		out = append(out, b)
	}
}

func TestRoundTrip(t *testing.T) {
	raw := testFile(t, 3, true)
	r, blocks, err := readAll(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 || blocks[2].Height() != 3 || r.Final() == nil || r.Final().Height != 3 {
		t.Fatalf("read %d blocks, final %v", len(blocks), r.Final())
	}
	if r.Genesis().Hash() != testGenesis().Hash() || r.Offset() != int64(len(raw)) {
		t.Fatal("genesis or offset differ")
	}
}

// TestEveryCutIsTruncated cuts a file at every length: each must read as
// truncated (or not a chain file, inside the header), never as complete.
func TestEveryCutIsTruncated(t *testing.T) {
	raw := testFile(t, 3, true)
	for n := 0; n < len(raw); n++ {
		_, _, err := readAll(raw[:n])
		if err == nil {
			t.Fatalf("a file cut to %d of %d bytes reads as complete", n, len(raw))
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrNotChainFile) {
			t.Fatalf("cut to %d bytes: %v, want truncated", n, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	raw := testFile(t, 2, true)
	bad := func(mutate func([]byte) []byte) error {
		_, _, err := readAll(mutate(bytes.Clone(raw)))
		return err
	}
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrNotChainFile},
		{"version", func(b []byte) []byte { b[len(Magic)+1] = 9; return b }, ErrVersion},
		{"first frame not genesis", func(b []byte) []byte { b[len(Magic)+2] = KindBlock; return b }, ErrMalformed},
		{"huge frame", func(b []byte) []byte { b[len(Magic)+3] = 0xff; return b }, ErrMalformed},
		{"end marker miscounts", func(b []byte) []byte { b[len(b)-1] = 7; return b }, ErrTruncated},
		{"block after the final certificate", func(b []byte) []byte {
			end := bytes.LastIndexByte(b, KindEnd)
			var extra bytes.Buffer
			extra.Write([]byte{KindBlock, 0, 0, 0, 1, 0xc0})
			return append(append(b[:end:end], extra.Bytes()...), b[end:]...)
		}, ErrMalformed},
		{"unknown frame kind", func(b []byte) []byte {
			end := bytes.LastIndexByte(b, KindEnd)
			b[end] = 'Z'
			return b
		}, ErrMalformed},
	}
	for _, tc := range cases {
		if err := bad(tc.mutate); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzReader: no input makes the reader panic or read forever.
func FuzzReader(f *testing.F) {
	f.Add(testFile(f, 2, true))
	f.Add(testFile(f, 0, false))
	f.Fuzz(func(t *testing.T, raw []byte) {
		readAll(raw)
	})
}
