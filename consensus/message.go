package consensus

import (
	"bytes"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// MaxMessageBytes bounds an encoded message; DecodeMessage refuses larger
// input before parsing it.
const MaxMessageBytes = 16 << 20

// Proposal is the key holder's ⟨PROPOSAL, h, r, v, vr⟩: Block proposed at
// (Height, Round), with POLRound the round of a proof of lock for it (-1 for
// none). The signer is not named: it must be the round's key holder, and
// the signature recovers to it.
type Proposal struct {
	Height   uint64
	Round    uint32
	POLRound int32
	Block    *chain.Block
	Sig      []byte
}

// SignHash is what the holder signs.
func (p *Proposal) SignHash(chainID string) common.Hash {
	return chain.ProposalSignHash(chainID, p.Height, p.Round, p.POLRound, p.Block.Hash())
}

// Vote is a signed ⟨PREVOTE|PRECOMMIT, h, r, id(v)⟩; a zero BlockHash is a
// vote for nil.
type Vote struct {
	Type      chain.VoteType
	Height    uint64
	Round     uint32
	BlockHash common.Hash
	Validator common.Address
	Sig       []byte
}

// SignHash is what the validator signs.
func (v *Vote) SignHash(chainID string) common.Hash {
	return chain.VoteSignHash(chainID, v.Type, v.Height, v.Round, v.BlockHash)
}

// IsNil reports a vote for nil.
func (v *Vote) IsNil() bool { return v.BlockHash == (common.Hash{}) }

func (v *Vote) String() string {
	kind := "prevote"
	if v.Type == chain.VotePrecommit {
		kind = "precommit"
	}
	target := "nil"
	if !v.IsNil() {
		target = v.BlockHash.TerminalString()
	}
	return fmt.Sprintf("%s h=%d r=%d %s by %s", kind, v.Height, v.Round, target, v.Validator.Hex()[:10])
}

// Message is what consensus sends and receives: exactly one of Proposal and
// Vote is set.
type Message struct {
	Proposal *Proposal
	Vote     *Vote
}

// Height is the height the message is for.
func (m Message) Height() uint64 {
	if m.Proposal != nil {
		return m.Proposal.Height
	}
	if m.Vote != nil {
		return m.Vote.Height
	}
	return 0
}

func (m Message) String() string {
	switch {
	case m.Proposal != nil && m.Proposal.Block != nil && m.Proposal.Block.Header != nil:
		return fmt.Sprintf("proposal h=%d r=%d pol=%d %s", m.Proposal.Height, m.Proposal.Round, m.Proposal.POLRound, m.Proposal.Block.Hash().TerminalString())
	case m.Vote != nil:
		return m.Vote.String()
	}
	return "empty message"
}

// Wire form. Kind selects the body; RLP has no signed integers, so the POL
// round travels as POLRound+1 (0 = none), as in chain.ProposalSignHash.
const (
	kindProposal = 1
	kindVote     = 2
)

type wireMessage struct {
	Kind uint8
	Body rlp.RawValue
}

type wireProposal struct {
	Height   uint64
	Round    uint32
	POLRound uint64
	Block    *chain.Block
	Sig      []byte
}

// wireProposalRaw is wireProposal with the block left encoded.
type wireProposalRaw struct {
	Height   uint64
	Round    uint32
	POLRound uint64
	Block    rlp.RawValue
	Sig      []byte
}

type wireVote struct {
	Type      uint8
	Height    uint64
	Round     uint32
	BlockHash common.Hash
	Validator common.Address
	Sig       []byte
}

// Encode returns the canonical RLP encoding. An empty or incomplete message
// encodes to bytes that DecodeMessage refuses.
func (m Message) Encode() []byte {
	var kind uint8
	var body any = []any{}
	switch {
	case m.Proposal != nil && m.Proposal.Block != nil && m.Proposal.Block.Header != nil:
		p := m.Proposal
		kind, body = kindProposal, &wireProposal{p.Height, p.Round, uint64(int64(p.POLRound) + 1), p.Block, p.Sig}
	case m.Vote != nil:
		v := m.Vote
		kind, body = kindVote, &wireVote{uint8(v.Type), v.Height, v.Round, v.BlockHash, v.Validator, v.Sig}
	}
	raw, err := rlp.EncodeToBytes(body)
	if err != nil {
		panic(fmt.Sprintf("encode consensus message body: %v", err)) // plain values; cannot fail
	}
	out, err := rlp.EncodeToBytes(&wireMessage{Kind: kind, Body: raw})
	if err != nil {
		panic(fmt.Sprintf("encode consensus message: %v", err))
	}
	return out
}

// DecodeMessage parses a message's canonical encoding and checks its shape
// (not its signature: Step does that). It never panics; non-canonical input
// (anything Encode would not produce) is refused.
func DecodeMessage(b []byte) (Message, error) { return DecodeMessageKnown(b, nil) }

// DecodeMessageKnown is DecodeMessage taking a proposal's transactions that
// known returns instead of decoding them again (chain.DecodeBlockKnown).
func DecodeMessageKnown(b []byte, known chain.TxLookup) (msg Message, err error) {
	defer func() {
		// The decoders below are not expected to panic; this keeps a hostile
		// peer from crashing the node if one ever does.
		if r := recover(); r != nil {
			msg, err = Message{}, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	if len(b) > MaxMessageBytes {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageBytes)
	}
	var w wireMessage
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch w.Kind {
	case kindProposal:
		var wp wireProposalRaw
		if err := rlp.DecodeBytes(w.Body, &wp); err != nil {
			return Message{}, fmt.Errorf("%w: proposal: %v", ErrMalformed, err)
		}
		if wp.POLRound > uint64(math.MaxInt32)+1 {
			return Message{}, fmt.Errorf("%w: proposal POL round %d out of range", ErrMalformed, int64(wp.POLRound)-1)
		}
		block, err := chain.DecodeBlockKnown(wp.Block, known)
		if err != nil {
			return Message{}, fmt.Errorf("%w: proposal: %v", ErrMalformed, err)
		}
		msg.Proposal = &Proposal{wp.Height, wp.Round, int32(int64(wp.POLRound) - 1), block, wp.Sig}
	case kindVote:
		var wv wireVote
		if err := rlp.DecodeBytes(w.Body, &wv); err != nil {
			return Message{}, fmt.Errorf("%w: vote: %v", ErrMalformed, err)
		}
		msg.Vote = &Vote{chain.VoteType(wv.Type), wv.Height, wv.Round, wv.BlockHash, wv.Validator, wv.Sig}
	default:
		return Message{}, fmt.Errorf("%w: unknown message kind %d", ErrMalformed, w.Kind)
	}
	if err := msg.checkShape(); err != nil {
		return Message{}, err
	}
	if !bytes.Equal(msg.Encode(), b) {
		return Message{}, fmt.Errorf("%w: not the canonical encoding", ErrMalformed)
	}
	return msg, nil
}

// checkShape checks the structural rules every message must meet, before
// any signature is recovered.
func (m Message) checkShape() error {
	switch {
	case m.Proposal != nil && m.Vote != nil:
		return fmt.Errorf("%w: both proposal and vote set", ErrMalformed)
	case m.Proposal != nil:
		p := m.Proposal
		if p.Block == nil || p.Block.Header == nil {
			return fmt.Errorf("%w: proposal without block", ErrMalformed)
		}
		if p.POLRound < -1 || (p.POLRound >= 0 && uint32(p.POLRound) >= p.Round) {
			return fmt.Errorf("%w: proposal h=%d r=%d has POL round %d, want -1 or below the round", ErrMalformed, p.Height, p.Round, p.POLRound)
		}
		if p.Block.Header.Height != p.Height {
			return fmt.Errorf("%w: proposal for height %d carries block of height %d", ErrMalformed, p.Height, p.Block.Header.Height)
		}
		if p.Block.Header.Round > p.Round {
			return fmt.Errorf("%w: proposal at round %d carries block made for later round %d", ErrMalformed, p.Round, p.Block.Header.Round)
		}
		if len(p.Sig) != crypto.SignatureLength {
			return fmt.Errorf("%w: proposal signature is %d bytes", ErrMalformed, len(p.Sig))
		}
	case m.Vote != nil:
		v := m.Vote
		if v.Type != chain.VotePrevote && v.Type != chain.VotePrecommit {
			return fmt.Errorf("%w: vote type %d", ErrMalformed, v.Type)
		}
		if len(v.Sig) != crypto.SignatureLength {
			return fmt.Errorf("%w: vote signature is %d bytes", ErrMalformed, len(v.Sig))
		}
	default:
		return fmt.Errorf("%w: empty message", ErrMalformed)
	}
	return nil
}
