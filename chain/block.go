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

// decode walks the block's two fields with rlp's Split functions, so that
// each transaction is a view of raw (decoding copies what it keeps) and can
// be looked up by its hash before anything is decoded; the header goes
// through reflection. It accepts exactly what rlp.DecodeBytes accepts for
// wireBlock (TestDecodeBlockKnownMatchesRLP).
func (b *Block) decode(raw []byte, known TxLookup) error {
	fields, rest, err := rlp.SplitList(raw)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return rlp.ErrMoreThanOneValue
	}
	header, fields, err := splitRaw(fields)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	h := new(Header)
	if err := rlp.DecodeBytes(header, h); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	list, fields, err := splitRaw(fields)
	if err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	if len(fields) > 0 {
		return errTooManyFields
	}
	encs, _, err := rlp.SplitList(list) // list is one whole value: nothing after it
	if err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	var txs []*Tx
	for len(encs) > 0 {
		var enc []byte
		if enc, encs, err = splitRaw(encs); err != nil {
			return fmt.Errorf("transaction %d: %w", len(txs), err)
		}
		tx, err := knownOrDecoded(enc, known)
		if err != nil {
			return fmt.Errorf("transaction %d: %w", len(txs), err)
		}
		txs = append(txs, tx)
	}
	b.Header, b.Txs, b.decoded = h, txs, true
	return nil
}

// splitRaw splits the first RLP value, whole, off b.
func splitRaw(b []byte) (value, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errTooFewFields
	}
	if _, _, rest, err = rlp.Split(b); err != nil {
		return nil, nil, err
	}
	return b[:len(b)-len(rest)], rest, nil
}

// knownOrDecoded is the node's copy of the transaction encoded as enc, or
// enc decoded.
func knownOrDecoded(enc []byte, known TxLookup) (*Tx, error) {
	h := crypto.Keccak256Hash(enc)
	if known != nil {
		if tx := known(h); tx != nil {
			return tx, nil
		}
	}
	tx := new(Tx)
	return tx, tx.decodeHashed(enc, h)
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
