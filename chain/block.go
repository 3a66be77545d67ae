package chain

import (
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Header names everything a block commits to. Its hash is the block's hash.
type Header struct {
	ChainID        string
	Height         uint64
	Round          uint32
	Time           uint64 // milliseconds since the Unix epoch, stamped by the proposer
	Parent         common.Hash
	Proposer       common.Address
	Reveal         common.Hash // the proposer's next hash-chain preimage (the sovereign key's seed input)
	TxRoot         common.Hash
	ReceiptRoot    common.Hash
	StateRoot      common.Hash
	ValidatorsHash common.Hash
	LastCommit     *Certificate `rlp:"nil"` // the parent's commit certificate; nil at height 1
}

// Hash is Keccak-256 of the header's canonical encoding.
func (h *Header) Hash() common.Hash { return rlpHash(h) }

// Block is a header and the transactions it orders.
type Block struct {
	Header *Header
	Txs    []*Tx

	// A block decoded from bytes (a proposal, a synced or stored block) is
	// never changed afterwards, and a node hashes its header many times:
	// to check the proposal, vote, match votes and the certificate, commit
	// and store it. Its hash is computed once and kept here. A block built
	// in memory is hashed on every call, so its builder, or a test, may
	// still change the header.
	decoded bool
	hash    atomic.Pointer[common.Hash]
}

// wireBlock is Block's canonical encoding.
type wireBlock struct {
	Header *Header
	Txs    []*Tx
}

// DecodeRLP decodes a block and marks its header immutable (see Block).
func (b *Block) DecodeRLP(s *rlp.Stream) error {
	raw, err := s.Raw()
	if err != nil {
		return err
	}
	return b.decode(raw, nil)
}

// TxLookup returns this node's copy of the transaction whose canonical
// encoding hashes to h, or nil when it has none.
type TxLookup func(h common.Hash) *Tx

// DecodeBlockKnown is DecodeBlock, except that a transaction known returns
// (by the hash of its encoding) is taken instead of being decoded again:
// nearly every transaction of a proposal has reached the node in gossip
// before it. Both give equal blocks and refuse the same bytes, because
// equal hashes mean equal encodings. known may be nil.
func DecodeBlockKnown(raw []byte, known TxLookup) (*Block, error) {
	b := new(Block)
	if err := b.decode(raw, known); err != nil {
		return nil, Reject(ErrMalformed, "decode block: %v", err)
	}
	if b.Header == nil {
		return nil, Reject(ErrMalformed, "block without header")
	}
	return b, nil
}

// wireBlockRaw is wireBlock with each transaction left encoded.
type wireBlockRaw struct {
	Header *Header
	Txs    []rlp.RawValue
}

func (b *Block) decode(raw []byte, known TxLookup) error {
	var w wireBlockRaw
	if err := rlp.DecodeBytes(raw, &w); err != nil {
		return err
	}
	txs := make([]*Tx, len(w.Txs))
	for i, enc := range w.Txs {
		h := crypto.Keccak256Hash(enc)
		if known != nil {
			if txs[i] = known(h); txs[i] != nil {
				continue
			}
		}
		txs[i] = new(Tx)
		if err := txs[i].decodeHashed(enc, h); err != nil {
			return fmt.Errorf("transaction %d: %w", i, err)
		}
	}
	b.Header, b.Txs, b.decoded = w.Header, txs, true
	return nil
}

// Hash is the header's hash.
func (b *Block) Hash() common.Hash {
	if !b.decoded {
		return b.Header.Hash()
	}
	if h := b.hash.Load(); h != nil {
		return *h
	}
	h := b.Header.Hash()
	b.hash.Store(&h)
	return h
}

// Height is the header's height.
func (b *Block) Height() uint64 { return b.Header.Height }

// Bytes is the canonical encoding of the block.
func (b *Block) Bytes() []byte {
	out, err := rlp.EncodeToBytes(b)
	if err != nil {
		panic(fmt.Sprintf("encode block: %v", err))
	}
	return out
}

// DecodeBlock parses a block's canonical encoding.
func DecodeBlock(raw []byte) (*Block, error) { return DecodeBlockKnown(raw, nil) }
