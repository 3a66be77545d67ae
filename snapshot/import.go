package snapshot

import (
	"fmt"
	"io"

	"github.com/sovereign-ledger/sovereign/ledger"
)

// Importer writes a snapshot into an empty store: it verifies the
// manifest on creation, then each chunk as it comes (in order: the trie is
// rebuilt as the entries arrive), and Finish checks the rebuilt root and
// makes the snapshot's block the store's head.
type Importer struct {
	m     *Manifest
	trust Trust
	state *ledger.StateImport
	next  int
}

// NewImporter verifies m against trust and starts writing into store,
// which must be empty.
func NewImporter(store ledger.Store, trust Trust, m *Manifest) (*Importer, error) {
	if err := trust.VerifyManifest(m); err != nil {
		return nil, err
	}
	state, err := ledger.NewStateImport(store)
	if err != nil {
		return nil, err
	}
	return &Importer{m: m, trust: trust, state: state}, nil
}

// Next is the index of the chunk the importer wants next.
func (im *Importer) Next() int { return im.next }

// Done says whether every chunk was added.
func (im *Importer) Done() bool { return im.next == len(im.m.Chunks) }

// AddChunk verifies the encoding of chunk Next() and writes its entries. A
// refused chunk changes nothing: the caller may fetch it again elsewhere.
func (im *Importer) AddChunk(raw []byte) error {
	if im.Done() {
		return fmt.Errorf("%w: a chunk past the manifest's %d", ErrMalformed, len(im.m.Chunks))
	}
	c, err := VerifyChunk(im.m, im.next, raw)
	if err != nil {
		return err
	}
	for _, e := range c.Entries {
		if err := im.state.Add(e.Key, e.Value); err != nil {
			return fmt.Errorf("chunk %d: %w", im.next, err)
		}
	}
	im.next++
	return nil
}

// Finish checks that every chunk came and the state hashes to the root,
// and commits the snapshot's block as the head.
func (im *Importer) Finish() error {
	if !im.Done() {
		return fmt.Errorf("%w: chunk %d of %d never came", ErrChunkMissing, im.next, len(im.m.Chunks))
	}
	return im.state.Finish(im.trust.Genesis, im.m.Block, im.m.Certificate, im.m.Receipts)
}

// ImportStats is what an import wrote.
type ImportStats struct {
	Height  uint64
	Entries int
	Chunks  int
}

// ImportFile reads a snapshot file into store (empty), verifying the
// manifest against trust and every chunk against the state root.
func ImportFile(store ledger.Store, trust Trust, r io.Reader) (*Manifest, ImportStats, error) {
	sr, err := NewReader(r)
	if err != nil {
		return nil, ImportStats{}, err
	}
	m := sr.Manifest()
	im, err := NewImporter(store, trust, m)
	if err != nil {
		return nil, ImportStats{}, err
	}
	for {
		raw, err := sr.NextChunk()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ImportStats{}, err
		}
		if err := im.AddChunk(raw); err != nil {
			return nil, ImportStats{}, err
		}
	}
	if err := im.Finish(); err != nil {
		return nil, ImportStats{}, err
	}
	return m, ImportStats{Height: m.Height(), Entries: im.state.Entries(), Chunks: len(m.Chunks)}, nil
}
