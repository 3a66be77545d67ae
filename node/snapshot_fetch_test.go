package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/snapshot"
)

// fakePeers serves one snapshot's manifest and chunks per peer; a peer's
// corrupt set names the chunks it serves damaged.
type fakePeers struct {
	manifest []byte
	chunks   [][]byte
	corrupt  map[peer.ID]map[uint64]bool
	asked    map[peer.ID]int
}

func (f *fakePeers) Peers() []peer.ID { return []peer.ID{"honest", "liar"} }

func (f *fakePeers) FetchSnapshotManifest(context.Context, peer.ID) ([]byte, error) {
	return f.manifest, nil
}

func (f *fakePeers) FetchSnapshotChunk(_ context.Context, p peer.ID, _, i uint64) ([]byte, error) {
	f.asked[p]++
	raw := bytes.Clone(f.chunks[i])
	if f.corrupt[p][i] {
		raw[len(raw)/2] ^= 1
	}
	return raw, nil
}

func snapshotParts(t *testing.T) (*chain.Genesis, []byte, [][]byte) {
	t.Helper()
	c, err := chaingen.New(ledger.NewMemStore(), chaingen.Genesis(4))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Next(c.Transfers(20)); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, _, err := snapshot.Export(context.Background(), c.Ledger.DB(), snapshot.ExportOptions{ChunkSize: 512, TmpDir: t.TempDir()}, &buf); err != nil {
		t.Fatal(err)
	}
	r, err := snapshot.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := snapshot.EncodeManifest(r.Manifest())
	if err != nil {
		t.Fatal(err)
	}
	var chunks [][]byte
	for {
		raw, err := r.NextChunk()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, raw)
	}
	if len(chunks) < 3 {
		t.Fatalf("want several chunks, got %d", len(chunks))
	}
	return c.Genesis, manifest, chunks
}

// TestFetchSnapshotRefusesBadChunks: a chunk a peer serves damaged is
// refused and fetched from the other peer, and the import completes; when
// every peer serves a chunk damaged, the join fails naming it and the
// store is not left as a chain.
func TestFetchSnapshotRefusesBadChunks(t *testing.T) {
	g, manifest, chunks := snapshotParts(t)
	cfg := &Config{Genesis: g, SnapshotSync: &snapshot.Trust{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	all := map[uint64]bool{}
	for i := range chunks {
		all[uint64(i)] = true
	}
	f := &fakePeers{manifest: manifest, chunks: chunks, asked: map[peer.ID]int{},
		corrupt: map[peer.ID]map[uint64]bool{"liar": all}}
	store := ledger.NewMemStore()
	if err := fetchSnapshot(context.Background(), cfg, store, f); err != nil {
		t.Fatalf("join with one lying peer: %v", err)
	}
	if f.asked["liar"] == 0 || f.asked["honest"] != len(chunks) {
		t.Fatalf("asked liar %d, honest %d times; want the liar tried and every chunk from the honest peer", f.asked["liar"], f.asked["honest"])
	}
	if _, err := ledger.OpenLedger(store, g); err != nil {
		t.Fatalf("open the joined store: %v", err)
	}

	f = &fakePeers{manifest: manifest, chunks: chunks, asked: map[peer.ID]int{},
		corrupt: map[peer.ID]map[uint64]bool{"liar": {1: true}, "honest": {1: true}}}
	store = ledger.NewMemStore()
	err := fetchSnapshot(context.Background(), cfg, store, f)
	if !errors.Is(err, snapshot.ErrChunkHash) {
		t.Fatalf("every peer serving chunk 1 damaged: %v, want %v", err, snapshot.ErrChunkHash)
	}
	if _, ok, _ := ledger.NewDB(store).GenesisHash(); ok {
		t.Fatal("a failed join left a store that opens as a chain")
	}
}

// TestSnapshotServerReopens: a restarted node serves the newest snapshot
// file a previous run left, and removes older, broken and half-written
// ones.
func TestSnapshotServerReopens(t *testing.T) {
	_, manifest, chunks := snapshotParts(t)
	m, err := snapshot.DecodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "snapshots")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snapshot.WriteFile(&buf, m, chunks); err != nil {
		t.Fatal(err)
	}
	newest := filepath.Join(dir, fmt.Sprintf("snapshot-%d.sovsnap", m.Height()))
	files := map[string][]byte{
		newest:                                   buf.Bytes(),
		filepath.Join(dir, "snapshot-1.sovsnap"): []byte("SOVSNAPS not really"),
		filepath.Join(dir, "snapshot-9.tmp"):     buf.Bytes()[:100],
	}
	for p, raw := range files {
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := &snapshotServer{dir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.reopen()
	defer s.close()
	got, err := s.SnapshotManifest()
	if err != nil || !bytes.Equal(got, manifest) {
		t.Fatalf("served manifest %x (%v), want the newest file's", got, err)
	}
	if raw, err := s.SnapshotChunk(m.Height(), 1); err != nil || !bytes.Equal(raw, chunks[1]) {
		t.Fatalf("chunk 1: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 || left[0] != newest {
		t.Fatalf("files left: %v, want only %s", left, newest)
	}
}
