package snapshot

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"io"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestRoundTrip: a chain exported and imported into an empty store opens
// as a ledger at the same head, with the same state root, balances and
// expiry index, and the importer's store passes the integrity check.
func TestRoundTrip(t *testing.T) {
	c := buildChain(t, 3, 40)
	raw, m := exportBytes(t, c, 2<<10)
	if len(m.Chunks) < 3 {
		t.Fatalf("want several chunks, got %d", len(m.Chunks))
	}
	store := ledger.NewMemStore()
	got, stats, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.Height() != 3 || stats.Chunks != len(m.Chunks) {
		t.Fatalf("imported height %d, %d chunks; want 3, %d", got.Height(), stats.Chunks, len(m.Chunks))
	}
	l, err := ledger.OpenLedger(store, c.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	want := c.Ledger.Head()
	if l.Head().Hash() != want.Hash() || l.Head().StateRoot != want.StateRoot {
		t.Fatalf("head %d %s, want %d %s", l.Head().Height, l.Head().Hash(), want.Height, want.Hash())
	}
	if err := l.CheckConsistency(); err != nil {
		t.Fatalf("imported state: %v", err)
	}
	if _, err := l.CheckIntegrity(true); err != nil {
		t.Fatalf("integrity of a snapshot store: %v", err)
	}
	for i := 0; i < 120; i++ {
		a, _, _ := c.Ledger.Account(fresh(i))
		b, ok, err := l.Account(fresh(i))
		if err != nil || !ok {
			t.Fatalf("account %d missing after import: %v", i, err)
		}
		if a.Balance("CNY").Available != b.Balance("CNY").Available {
			t.Fatalf("account %d: balance %d, want %d", i, b.Balance("CNY").Available, a.Balance("CNY").Available)
		}
	}
	if base, ok, _ := l.DB().SnapshotBase(); !ok || base != 3 {
		t.Fatalf("snapshot base %d %v, want 3", base, ok)
	}
}

// TestFollowAfterImport: the imported ledger executes and commits the
// chain's next block as the source does, to the same state root.
func TestFollowAfterImport(t *testing.T) {
	c := buildChain(t, 2, 10)
	raw, _ := exportBytes(t, c, 1<<10)
	store := ledger.NewMemStore()
	if _, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.OpenLedger(store, c.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Next(c.Transfers(5))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(b, c.Final()); err != nil {
		t.Fatalf("commit block %d after the snapshot: %v", b.Height(), err)
	}
	if l.Head().StateRoot != c.Ledger.Head().StateRoot {
		t.Fatal("state roots differ after the next block")
	}
}

// tamper changes the encoding of a snapshot file.
type tamper func(t *testing.T, f *parsedFile)

// parsedFile is a snapshot file taken apart, to be tampered with and put
// together again.
type parsedFile struct {
	m      *Manifest
	chunks [][]byte
	noEnd  bool
}

func parse(t *testing.T, raw []byte) *parsedFile {
	r, err := NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	f := &parsedFile{m: r.Manifest()}
	for {
		c, err := r.NextChunk()
		if err == io.EOF {
			return f
		}
		if err != nil {
			t.Fatal(err)
		}
		f.chunks = append(f.chunks, c)
	}
}

func (f *parsedFile) bytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := WriteFile(&buf, f.m, f.chunks); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rechunk decodes chunk i, changes it and re-encodes it, updating the
// manifest's hash so that only the proof can catch the change.
func rechunk(t *testing.T, f *parsedFile, i int, change func(c *Chunk)) {
	c := new(Chunk)
	if err := rlp.DecodeBytes(f.chunks[i], c); err != nil {
		t.Fatal(err)
	}
	change(c)
	raw, err := rlp.EncodeToBytes(c)
	if err != nil {
		t.Fatal(err)
	}
	f.chunks[i] = raw
	f.m.Chunks[i].Hash = ChunkHash(raw)
}

func TestImportRefuses(t *testing.T) {
	c := buildChain(t, 2, 40)
	raw, m := exportBytes(t, c, 2<<10)
	if len(m.Chunks) < 3 {
		t.Fatalf("want several chunks, got %d", len(m.Chunks))
	}
	if _, err := c.Next(c.Transfers(1)); err != nil {
		t.Fatal(err)
	}
	later, _ := exportBytes(t, c, 2<<10)
	otherChunk0 := parse(t, later).chunks[0]
	for _, tc := range []struct {
		name   string
		tamper tamper
		raw    func([]byte) []byte
		want   error
	}{
		{name: "tampered chunk", want: ErrChunkHash, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks[1] = bytes.Clone(f.chunks[1])
			f.chunks[1][len(f.chunks[1])/2] ^= 1
		}},
		{name: "tampered value, manifest hash updated", want: ErrChunkProof, tamper: func(t *testing.T, f *parsedFile) {
			rechunk(t, f, 1, func(c *Chunk) { c.Entries[0].Value = append(bytes.Clone(c.Entries[0].Value), 0) })
		}},
		{name: "entry dropped, manifest hash updated", want: ErrChunkProof, tamper: func(t *testing.T, f *parsedFile) {
			rechunk(t, f, 1, func(c *Chunk) { c.Entries = append(c.Entries[:1:1], c.Entries[2:]...) })
		}},
		{name: "proof dropped", want: ErrChunkProof, tamper: func(t *testing.T, f *parsedFile) {
			rechunk(t, f, 0, func(c *Chunk) { c.Proof = c.Proof[:len(c.Proof)-1] })
		}},
		{name: "wrong root", want: ErrCertificate, tamper: func(t *testing.T, f *parsedFile) {
			f.m.Block.Header.StateRoot = common.Hash{1}
		}},
		{name: "forged certificate", want: ErrCertificate, tamper: func(t *testing.T, f *parsedFile) {
			// signed by keys that are not the validators'
			f.m.Certificate = chaingen.Certify(c.Genesis.ChainID, []*ecdsa.PrivateKey{chaingen.Customer(0), chaingen.Customer(1), chaingen.Customer(2)}, f.m.Block.Hash(), f.m.Height(), f.m.Certificate.Round)
		}},
		{name: "a block naming another validator set", want: ErrSetChanged, tamper: func(t *testing.T, f *parsedFile) {
			// certified by the genesis validators, but its header says the
			// set changed: a joining node cannot know that set's signers
			f.m.Block.Header.ValidatorsHash = common.Hash{7}
			f.m.Certificate = c.Certify(f.m.Block.Hash(), f.m.Height(), f.m.Certificate.Round)
		}},
		{name: "too few signatures", want: ErrCertificate, tamper: func(t *testing.T, f *parsedFile) {
			f.m.Certificate.Sigs = f.m.Certificate.Sigs[:2]
		}},
		{name: "missing chunk", want: ErrChunkOrder, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks = append(f.chunks[:1:1], f.chunks[2:]...)
		}},
		{name: "missing last chunk", want: ErrChunkMissing, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks = f.chunks[:len(f.chunks)-1]
		}},
		{name: "last chunk and its manifest entry dropped", want: ErrChunkRange, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks = f.chunks[:len(f.chunks)-1]
			f.m.Chunks = f.m.Chunks[:len(f.m.Chunks)-1]
		}},
		{name: "chunk of another snapshot, manifest hash updated", want: ErrChunkProof, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks[0] = otherChunk0
			f.m.Chunks[0].Hash = ChunkHash(otherChunk0)
		}},
		{name: "reordered chunks", want: ErrChunkOrder, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks[0], f.chunks[1] = f.chunks[1], f.chunks[0]
		}},
		{name: "chunk moved, manifest reordered to match", want: ErrChunkRange, tamper: func(t *testing.T, f *parsedFile) {
			f.chunks[1], f.chunks[2] = f.chunks[2], f.chunks[1]
			f.m.Chunks[1].Hash, f.m.Chunks[2].Hash = f.m.Chunks[2].Hash, f.m.Chunks[1].Hash
		}},
		{name: "other chain", want: ErrOtherChain, tamper: func(t *testing.T, f *parsedFile) {
			f.m.GenesisHash = common.Hash{2}
		}},
		{name: "truncated file", want: ErrTruncated, raw: func(b []byte) []byte { return b[:len(b)-100] }},
		{name: "cut on a frame boundary", want: ErrTruncated, raw: func(b []byte) []byte {
			f := parse(t, b)
			full := f.bytes(t)
			return full[:len(full)-chainfile.FrameHeaderSize-2] // the end frame gone
		}},
		{name: "not a snapshot", want: ErrNotSnapshot, raw: func(b []byte) []byte { return append([]byte("SOVCHAIN"), b[8:]...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := raw
			if tc.tamper != nil {
				f := parse(t, raw)
				tc.tamper(t, f)
				in = f.bytes(t)
			}
			if tc.raw != nil {
				in = tc.raw(bytes.Clone(raw))
			}
			store := ledger.NewMemStore()
			_, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
			if _, ok, _ := ledger.NewDB(store).GenesisHash(); ok {
				t.Fatal("a refused import left a store that opens as a chain")
			}
		})
	}
}

// TestTrustedBlock: with a trusted height and hash, only that block's
// snapshot is accepted.
func TestTrustedBlock(t *testing.T) {
	c := buildChain(t, 2, 5)
	raw, m := exportBytes(t, c, 0)
	for _, tc := range []struct {
		name   string
		height uint64
		hash   common.Hash
		want   error
	}{
		{"the snapshot's block", m.Height(), m.Block.Hash(), nil},
		{"another hash", m.Height(), common.Hash{9}, ErrUntrusted},
		{"another height", m.Height() - 1, m.Block.Hash(), ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trust := Trust{Genesis: c.Genesis, TrustedHeight: tc.height, TrustedHash: tc.hash}
			_, _, err := ImportFile(ledger.NewMemStore(), trust, bytes.NewReader(raw))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestExportRefusesPastHeight: the store keeps only its head's trie.
func TestExportRefusesPastHeight(t *testing.T) {
	c := buildChain(t, 2, 2)
	_, _, err := Export(context.Background(), c.Ledger.DB(), ExportOptions{Height: 1}, io.Discard)
	if !errors.Is(err, ErrNotFinalState) {
		t.Fatalf("got %v, want %v", err, ErrNotFinalState)
	}
}

// TestImportRefusesNonEmptyStore: a store holding a chain is not
// overwritten.
func TestImportRefusesNonEmptyStore(t *testing.T) {
	store := ledger.NewMemStore()
	c := buildChainOn(t, store, 1, 2)
	raw, _ := exportBytes(t, c, 0)
	_, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw))
	if !errors.Is(err, ledger.ErrStoreNotEmpty) {
		t.Fatalf("got %v, want %v", err, ledger.ErrStoreNotEmpty)
	}
}

// TestImportClearsAnInterruptedImport: a store left by an interrupted
// import (its marker, no genesis hash) is cleared, so the retried import
// holds exactly the snapshot's state; a store of other data is refused.
func TestImportClearsAnInterruptedImport(t *testing.T) {
	c := buildChain(t, 2, 10)
	raw, _ := exportBytes(t, c, 1<<10)
	store := ledger.NewMemStore()
	b := store.NewBatch()
	b.Put([]byte("Sleft-over state entry"), []byte{0x80})
	b.Put([]byte("Tleft-over trie node"), []byte{1})
	if err := store.Write(b); err != nil {
		t.Fatal(err)
	}
	// Data that is not an import's is refused, and left alone.
	if _, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw)); !errors.Is(err, ledger.ErrStoreNotEmpty) {
		t.Fatalf("import into a store of other data: %v, want %v", err, ledger.ErrStoreNotEmpty)
	}
	// An interrupted import's (its marker) is cleared.
	b = store.NewBatch()
	b.Put([]byte("Mi"), []byte{})
	if err := store.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.OpenLedger(store, c.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CheckConsistency(); err != nil {
		t.Fatalf("after a retried import: %v", err)
	}
	if v, _ := store.Get([]byte("Mi")); v != nil {
		t.Fatal("the import marker outlived a finished import")
	}
}
