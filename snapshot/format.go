package snapshot

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// ChunkSize is the flat-state bytes an exporter puts in one chunk before
// it starts the next: large enough that the edge proofs are a small
// overhead, small enough for one network message.
const ChunkSize = 4 << 20

// MaxChunkBytes bounds one encoded chunk a reader accepts: ChunkSize plus
// one entry and the proofs, with room to spare.
const MaxChunkBytes = 16 << 20

// Manifest describes a snapshot at the height of Block.
type Manifest struct {
	GenesisHash common.Hash        // block 0 of the chain
	Block       *chain.Block       // the block of the snapshot's height H, with its transactions
	Certificate *chain.Certificate // the commit certificate of Block
	Receipts    []*chain.Receipt   // Block's receipts (under its receipts root)
	Chunks      []ChunkRef
}

// ChunkRef is what the manifest says of one chunk.
type ChunkRef struct {
	Hash   common.Hash // Keccak-256 of the chunk's encoding
	Origin common.Hash // the trie key the chunk's range starts at: zero for the first, the previous chunk's last key + 1 after
}

// Height is the snapshot's height.
func (m *Manifest) Height() uint64 { return m.Block.Height() }

// StateRoot is the state root every chunk proves against.
func (m *Manifest) StateRoot() common.Hash { return m.Block.Header.StateRoot }

// Chunk is a run of state entries in trie-key order and the proof nodes of
// its range's edges (its origin and its last key).
type Chunk struct {
	Entries []Entry
	Proof   [][]byte
}

// Entry is one flat-state entry.
type Entry struct {
	Key, Value []byte
}

// EncodeManifest is the manifest's canonical RLP.
func EncodeManifest(m *Manifest) ([]byte, error) { return rlp.EncodeToBytes(m) }

// DecodeManifest decodes a manifest, refusing one without a block or
// certificate.
func DecodeManifest(raw []byte) (*Manifest, error) {
	m := new(Manifest)
	if err := rlp.DecodeBytes(raw, m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrMalformed, err)
	}
	if m.Block == nil || m.Block.Header == nil || m.Certificate == nil {
		return nil, fmt.Errorf("%w: manifest without its block or certificate", ErrMalformed)
	}
	if len(m.Chunks) == 0 {
		return nil, fmt.Errorf("%w: manifest lists no chunks", ErrMalformed)
	}
	return m, nil
}

// ChunkHash is the hash the manifest lists for a chunk's encoding.
func ChunkHash(raw []byte) common.Hash { return crypto.Keccak256Hash(raw) }

// Errors a snapshot is refused with; each wraps the detail (which chunk,
// which height).
var (
	ErrNotSnapshot   = errors.New("not a snapshot file")
	ErrVersion       = errors.New("unsupported snapshot file version")
	ErrTruncated     = errors.New("snapshot file is truncated")
	ErrMalformed     = errors.New("snapshot is malformed")
	ErrOtherChain    = errors.New("snapshot is of another chain")
	ErrCertificate   = errors.New("snapshot block is not certified by the validators of its height")
	ErrUntrusted     = errors.New("snapshot block is not the trusted one")
	ErrChunkHash     = errors.New("chunk does not match the manifest's hash")
	ErrChunkOrder    = errors.New("chunk out of order")
	ErrChunkMissing  = errors.New("chunk missing")
	ErrChunkProof    = errors.New("chunk does not prove against the state root")
	ErrChunkRange    = errors.New("chunk does not cover its range")
	ErrNotFinalState = errors.New("state at that height is not kept")
)
