package snapshot

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// ExportStats is what an export wrote.
type ExportStats struct {
	Height  uint64
	Entries int   // state entries
	Chunks  int   // chunks
	Bytes   int64 // the file's size
}

// ExportOptions adjust an export.
type ExportOptions struct {
	// Height is the height to export, 0 for the head. Any other height
	// than the head is refused: the store keeps the trie of its head only.
	Height uint64
	// ChunkSize is the state bytes per chunk (0: ChunkSize).
	ChunkSize int
	// TmpDir holds the chunks while they are built ("": the system's).
	TmpDir string
}

// Export writes a snapshot of db's head to w. It reads from a view of the
// store taken when it starts, so a running node goes on committing
// meanwhile; it stops between chunks when ctx ends. The chunks are built into a temporary file first (the
// manifest, which lists their hashes, comes first in the file).
func Export(ctx context.Context, db *ledger.DB, opts ExportOptions, w io.Writer) (*Manifest, ExportStats, error) {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = ChunkSize
	}
	view, release, err := db.View()
	if err != nil {
		return nil, ExportStats{}, err
	}
	defer release()
	m, err := headManifest(view, opts.Height)
	if err != nil {
		return nil, ExportStats{}, err
	}
	tmp, err := os.CreateTemp(opts.TmpDir, "snapshot-chunks-*.tmp")
	if err != nil {
		return nil, ExportStats{}, fmt.Errorf("snapshot export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	stats := ExportStats{Height: m.Height()}
	var sizes []int
	err = buildChunks(ctx, view, m.StateRoot(), opts.ChunkSize, func(origin common.Hash, raw []byte, entries int) error {
		m.Chunks = append(m.Chunks, ChunkRef{Hash: ChunkHash(raw), Origin: origin})
		sizes = append(sizes, len(raw))
		stats.Entries += entries
		_, err := tmp.Write(raw)
		return err
	})
	if err != nil {
		return nil, ExportStats{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, ExportStats{}, err
	}
	cw := &countingWriter{w: w}
	err = writeFile(cw, m, func(yield func([]byte) error) error {
		for _, n := range sizes {
			raw := make([]byte, n)
			if _, err := io.ReadFull(tmp, raw); err != nil {
				return fmt.Errorf("read back chunk: %w", err)
			}
			if err := yield(raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, ExportStats{}, fmt.Errorf("write snapshot: %w", err)
	}
	stats.Chunks, stats.Bytes = len(m.Chunks), cw.n
	return m, stats, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// headManifest is the manifest of view's head, without its chunks.
func headManifest(view *ledger.DB, height uint64) (*Manifest, error) {
	head, ok, err := view.Head()
	if err != nil {
		return nil, fmt.Errorf("snapshot export: read head: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("snapshot export: the store holds no chain")
	}
	if height != 0 && height != head {
		return nil, fmt.Errorf("%w: height %d; this store keeps the state of its head %d only", ErrNotFinalState, height, head)
	}
	if head == 0 {
		return nil, fmt.Errorf("%w: the chain has no block past genesis yet", ErrNotFinalState)
	}
	genesis, _, err := view.GenesisHash()
	if err != nil {
		return nil, err
	}
	block, err := view.BlockByHeight(head)
	if err != nil {
		return nil, err
	}
	cert, err := view.Certificate(head)
	if err != nil {
		return nil, err
	}
	receipts, err := view.Receipts(head)
	if err != nil {
		return nil, err
	}
	return &Manifest{GenesisHash: genesis, Block: block, Certificate: cert, Receipts: receipts}, nil
}

// buildChunks cuts view's state into chunks of about chunkSize in trie-key
// order, each with the proof of its edges against root, and passes each to
// emit with its origin and entry count.
func buildChunks(ctx context.Context, view *ledger.DB, root common.Hash, chunkSize int, emit func(origin common.Hash, raw []byte, entries int) error) error {
	entries, err := view.StateInTrieOrder()
	if err != nil {
		return err
	}
	prover, err := view.StateProver(root)
	if err != nil {
		return err
	}
	var (
		origin common.Hash
		chunk  Chunk
		size   int
	)
	flush := func(last common.Hash) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		proof, err := prover.ProveRange(origin, last)
		if err != nil {
			return err
		}
		chunk.Proof = proof
		raw, err := rlp.EncodeToBytes(&chunk)
		if err != nil {
			return err
		}
		if len(raw) > chainfile.MaxFrame {
			return fmt.Errorf("chunk of %d bytes exceeds a frame", len(raw))
		}
		if err := emit(origin, raw, len(chunk.Entries)); err != nil {
			return err
		}
		origin = nextKey(last[:])
		chunk, size = Chunk{}, 0
		return nil
	}
	for i, e := range entries {
		chunk.Entries = append(chunk.Entries, Entry{Key: e.Key, Value: e.Value})
		size += len(e.Key) + len(e.Value)
		if size >= chunkSize || i == len(entries)-1 {
			if err := flush(e.TrieKey); err != nil {
				return err
			}
		}
	}
	return nil
}
