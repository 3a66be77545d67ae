package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// Trust is what a snapshot's block must satisfy before its state root is
// believed.
type Trust struct {
	Genesis *chain.Genesis
	// TrustedHeight and TrustedHash, when TrustedHeight is not zero, accept
	// only the snapshot of exactly that block (an operator's
	// --sync.trusted-height and --sync.trusted-hash).
	TrustedHeight uint64
	TrustedHash   common.Hash
}

// ValidatorsAt is the validator set a joining node, which holds no state
// yet, knows for height h: genesis's. It is the one place snapshots learn
// who signs. Once governance has changed the set (docs/adr/0060), a
// snapshot past the change is refused unless the operator names its block
// (VerifyManifest): following the set from genesis through the ledger's
// set-change proofs (ledger.VerifySetChange) is not built into the
// snapshot protocol yet.
func ValidatorsAt(g *chain.Genesis, h uint64) (*chain.ValidatorSet, error) {
	return g.ValidatorSet(), nil
}

// ErrSetChanged: the snapshot's block is signed by a validator set other
// than genesis's, which a joining node cannot check on its own yet.
var ErrSetChanged = errors.New("the validator set changed since genesis")

// VerifyManifest checks that m is a snapshot of this chain at a final
// block: the block's certificate verifies against the validators of its
// height, its transactions and receipts match its header, it is the trusted block when
// one is named, and the chunk ranges start at the first trie key and
// increase. Only then is the block's state root a root to verify chunks
// against.
func (t Trust) VerifyManifest(m *Manifest) error {
	g := t.Genesis
	genesis, err := ledger.GenesisBlock(g)
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	h, hash := m.Height(), m.Block.Hash()
	switch {
	case m.GenesisHash != genesis.Hash():
		return fmt.Errorf("%w: its genesis is %s, this node's %s", ErrOtherChain, m.GenesisHash, genesis.Hash())
	case m.Block.Header.ChainID != g.ChainID:
		return fmt.Errorf("%w: block %d is of chain %q, this node's is %q", ErrOtherChain, h, m.Block.Header.ChainID, g.ChainID)
	case h == 0:
		return fmt.Errorf("%w: a snapshot of the genesis", ErrMalformed)
	case m.Certificate.Height != h || m.Certificate.BlockHash != hash:
		return fmt.Errorf("%w: certificate names block %d %s, the snapshot's is %d %s", ErrCertificate, m.Certificate.Height, m.Certificate.BlockHash, h, hash)
	case ledger.TxRoot(m.Block.Txs) != m.Block.Header.TxRoot:
		return fmt.Errorf("%w: block %d transactions do not match its header", ErrMalformed, h)
	case ledger.ReceiptRoot(m.Receipts) != m.Block.Header.ReceiptRoot:
		return fmt.Errorf("%w: block %d receipts do not match its header", ErrMalformed, h)
	case t.TrustedHeight != 0 && (h != t.TrustedHeight || hash != t.TrustedHash):
		return fmt.Errorf("%w: snapshot is block %d %s, trusted is %d %s", ErrUntrusted, h, hash, t.TrustedHeight, t.TrustedHash)
	}
	if err := t.verifyCertified(m); err != nil {
		return err
	}
	if m.Chunks[0].Origin != (common.Hash{}) {
		return fmt.Errorf("%w: chunk 0 starts at %s, not at the first trie key", ErrMalformed, m.Chunks[0].Origin)
	}
	for i := 1; i < len(m.Chunks); i++ {
		if bytes.Compare(m.Chunks[i].Origin[:], m.Chunks[i-1].Origin[:]) <= 0 {
			return fmt.Errorf("%w: chunk %d starts at %s, not after chunk %d", ErrMalformed, i, m.Chunks[i].Origin, i-1)
		}
	}
	return nil
}

// verifyCertified trusts the snapshot's block: by its hash, when the
// operator named it (the hash covers the header and so the state root), or
// by its certificate against the validators of its height, which must be
// the set its header names.
func (t Trust) verifyCertified(m *Manifest) error {
	g, h := t.Genesis, m.Height()
	if t.TrustedHeight != 0 {
		return nil // the block is the one the operator trusts (checked above)
	}
	vs, err := ValidatorsAt(g, h)
	if err != nil {
		return fmt.Errorf("validators at %d: %w", h, err)
	}
	if m.Block.Header.ValidatorsHash != vs.Hash() {
		return fmt.Errorf("%w: block %d is signed by the set %s, genesis's is %s; name the block with --sync.trusted-height and --sync.trusted-hash, or join with --sync full",
			ErrSetChanged, h, m.Block.Header.ValidatorsHash, vs.Hash())
	}
	if err := m.Certificate.Verify(g.ChainID, vs); err != nil {
		return fmt.Errorf("%w: block %d: %v", ErrCertificate, h, err)
	}
	return nil
}

// VerifyChunk checks chunk i's encoding against a verified manifest: its
// hash is the one listed, and its entries are exactly the state's entries
// from its origin up to the next chunk's origin (to the end of the state
// for the last chunk), proved against the state root.
func VerifyChunk(m *Manifest, i int, raw []byte) (*Chunk, error) {
	if i < 0 || i >= len(m.Chunks) {
		return nil, fmt.Errorf("%w: chunk %d of %d", ErrMalformed, i, len(m.Chunks))
	}
	if got := ChunkHash(raw); got != m.Chunks[i].Hash {
		for j, ref := range m.Chunks {
			if ref.Hash == got {
				return nil, fmt.Errorf("%w: chunk %d came where chunk %d belongs", ErrChunkOrder, j, i)
			}
		}
		return nil, fmt.Errorf("%w: chunk %d hashes to %s, the manifest lists %s", ErrChunkHash, i, got, m.Chunks[i].Hash)
	}
	c := new(Chunk)
	if err := rlp.DecodeBytes(raw, c); err != nil {
		return nil, fmt.Errorf("%w: chunk %d: %v", ErrMalformed, i, err)
	}
	if err := proveChunk(m, i, c); err != nil {
		return nil, err
	}
	return c, nil
}

// proveChunk is the range proof of chunk i.
func proveChunk(m *Manifest, i int, c *Chunk) error {
	last := i == len(m.Chunks)-1
	if len(c.Entries) == 0 && !last {
		return fmt.Errorf("%w: chunk %d is empty", ErrChunkRange, i)
	}
	keys := make([][]byte, len(c.Entries))
	values := make([][]byte, len(c.Entries))
	for k, e := range c.Entries {
		keys[k], values[k] = crypto.Keccak256(e.Key), e.Value
	}
	origin := m.Chunks[i].Origin
	if len(keys) > 0 && bytes.Compare(keys[0], origin[:]) < 0 {
		return fmt.Errorf("%w: chunk %d holds a key before its origin", ErrChunkRange, i)
	}
	if !last && nextKey(keys[len(keys)-1]) != m.Chunks[i+1].Origin {
		return fmt.Errorf("%w: chunk %d ends at %x, chunk %d starts at %s", ErrChunkRange, i, keys[len(keys)-1], i+1, m.Chunks[i+1].Origin)
	}
	proof := memorydb.New()
	for _, n := range c.Proof {
		if err := proof.Put(crypto.Keccak256(n), n); err != nil {
			return err
		}
	}
	more, err := trie.VerifyRangeProof(m.StateRoot(), origin[:], keys, values, proof)
	if err != nil {
		return fmt.Errorf("%w: chunk %d at height %d: %v", ErrChunkProof, i, m.Height(), err)
	}
	if last && more {
		return fmt.Errorf("%w: the state goes on past the last chunk %d", ErrChunkRange, i)
	}
	return nil
}

// nextKey is k + 1 as a 256-bit number (the zero hash after the last key,
// which no state of 2^256 keys reaches).
func nextKey(k []byte) common.Hash {
	n := new(big.Int).SetBytes(k)
	n.Add(n, big.NewInt(1))
	return common.BigToHash(n)
}
