package consensus

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// handle verifies and records one message without running the rules.
func (m *Machine) handle(msg Message) error {
	if err := msg.checkShape(); err != nil {
		return err
	}
	h := msg.Height()
	switch {
	case h < m.height:
		if h+1 == m.height {
			m.peerBehind = true
		}
		return &msgError{ErrStale, msg, m.height}
	case h == m.height+1:
		return m.buffer(msg)
	case h > m.height+1:
		m.watchFuture(msg)
		return &msgError{ErrFuture, msg, m.height}
	}
	if msg.Vote != nil {
		return m.handleVote(msg.Vote)
	}
	return m.handleProposal(msg.Proposal)
}

func (m *Machine) handleVote(v *Vote) error {
	if _, ok := m.vs.Get(v.Validator); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownValidator, v)
	}
	if rs := m.rounds[v.Round]; rs != nil && rs.set(v.Type).has(v) {
		return nil // duplicate
	}
	if err := m.verifyVote(v); err != nil {
		return err
	}
	if v.Validator == m.self {
		m.noteOwn(v.Height)
	}
	m.acceptVote(v)
	return nil
}

// acceptVote records a verified vote of the current height.
func (m *Machine) acceptVote(v *Vote) {
	val, _ := m.vs.Get(v.Validator)
	m.noteRound(v.Validator, v.Round)
	if v.Round > m.round+roundWindow {
		m.stashAhead(v.Validator, v.Round, Message{Vote: v})
		return
	}
	if old := m.rs(v.Round).set(v.Type).add(v, val.Power); old != nil {
		m.evidence = append(m.evidence, Evidence{A: old, B: v})
	}
}

func (m *Machine) handleProposal(p *Proposal) error {
	hash := p.Block.Hash()
	if rs := m.rounds[p.Round]; rs != nil && rs.proposal != nil && rs.proposal.POLRound == p.POLRound &&
		bytes.Equal(rs.proposal.Sig, p.Sig) && rs.proposal.Block.Hash() == hash {
		return nil // duplicate
	}
	if err := verifyProposer(m.recover, m.cfg.ChainID, m.holder(p.Round), p); err != nil {
		return err
	}
	if m.holder(p.Round) == m.self {
		m.noteOwn(p.Height)
	}
	m.acceptProposal(p)
	return nil
}

// acceptProposal records a proposal verified to come from its round's holder.
func (m *Machine) acceptProposal(p *Proposal) {
	holder := m.holder(p.Round)
	m.noteRound(holder, p.Round)
	if p.Round > m.round+roundWindow {
		m.stashAhead(holder, p.Round, Message{Proposal: p})
		return
	}
	rs := m.rs(p.Round)
	hash := p.Block.Hash()
	if rs.proposal == nil {
		rs.proposal = p
	} else if rs.proposal.Block.Hash() != hash {
		rs.extraBlocks++ // an equivocating holder; keep a few of its blocks
		if rs.extraBlocks == 1 {
			m.evidence = append(m.evidence, Evidence{ProposalA: rs.proposal, ProposalB: p, Holder: holder})
		}
		if rs.extraBlocks >= maxBlocksPerRound {
			return
		}
	}
	if kb, ok := m.blocks[hash]; !ok {
		m.blocks[hash] = &knownBlock{block: p.Block, proposal: p}
	} else if kb.proposal == nil {
		kb.proposal = p
	}
}

// noteRound remembers the highest round each validator has spoken in, for
// the round-skip rule.
func (m *Machine) noteRound(a common.Address, r uint32) {
	if old, ok := m.maxRound[a]; ok && old >= r {
		return
	}
	m.maxRound[a] = r
	if r > m.round {
		m.skipDirty = true
	}
}

// stashAhead keeps a validator's messages for its latest round beyond the
// window, to be replayed when the machine gets there.
func (m *Machine) stashAhead(a common.Address, r uint32, msg Message) {
	am := m.ahead[a]
	switch {
	case am == nil || r > am.round:
		m.ahead[a] = &aheadMsgs{round: r, msgs: []Message{msg}}
	case r == am.round && len(am.msgs) < maxAheadPerValidator:
		am.msgs = append(am.msgs, msg)
	}
}

// replayAhead feeds stashed messages that the window now covers.
func (m *Machine) replayAhead() {
	for _, v := range m.vs.Validators {
		am := m.ahead[v.Address]
		if am == nil || am.round > m.round+roundWindow {
			continue
		}
		delete(m.ahead, v.Address)
		for _, msg := range am.msgs {
			if msg.Vote != nil {
				m.acceptVote(msg.Vote)
			} else {
				m.acceptProposal(msg.Proposal)
			}
		}
	}
}

// buffer keeps a next-height message, at most MaxBufferedPerValidator per
// signer so that one noisy validator cannot crowd out the others. Votes are
// verified first so that junk cannot crowd out real messages; a proposal's
// signer is recovered and must be a validator (whether it holds the key of
// its round is checked when the next seed is known).
func (m *Machine) buffer(msg Message) error {
	if len(m.future) >= m.cfg.MaxBufferedMessages {
		return &msgError{ErrBufferFull, msg, m.height}
	}
	for _, b := range m.future {
		if sameMessage(b.msg, msg) {
			return nil
		}
	}
	signer, err := m.signerOf(msg, m.cfg.setAt(m.height+1))
	if err != nil {
		return err
	}
	n := 0
	for _, b := range m.future {
		if b.signer == signer {
			n++
		}
	}
	if n >= MaxBufferedPerValidator {
		return &msgError{ErrBufferFull, msg, m.height}
	}
	if signer == m.self {
		m.noteOwn(msg.Height())
	}
	m.future = append(m.future, buffered{msg: msg, verified: msg.Vote != nil, signer: signer})
	return nil
}

// signerOf verifies that msg is signed by a validator of vs and returns
// it: a vote by the validator it names, a proposal by any validator.
func (m *Machine) signerOf(msg Message, vs *chain.ValidatorSet) (common.Address, error) {
	if v := msg.Vote; v != nil {
		if _, ok := vs.Get(v.Validator); !ok {
			return common.Address{}, fmt.Errorf("%w: %s", ErrUnknownValidator, v)
		}
		return v.Validator, m.verifyVote(v)
	}
	p := msg.Proposal
	signer, err := m.recover(p.SignHash(m.cfg.ChainID), p.Sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: proposal h=%d r=%d: %v", ErrBadSignature, p.Height, p.Round, err)
	}
	if _, ok := vs.Get(signer); !ok {
		return common.Address{}, fmt.Errorf("%w: proposal h=%d r=%d signed by %s", ErrUnknownValidator, p.Height, p.Round, signer)
	}
	return signer, nil
}

func sameMessage(a, b Message) bool {
	switch {
	case a.Vote != nil && b.Vote != nil:
		return a.Vote.Validator == b.Vote.Validator && a.Vote.Type == b.Vote.Type &&
			a.Vote.Round == b.Vote.Round && a.Vote.BlockHash == b.Vote.BlockHash && bytes.Equal(a.Vote.Sig, b.Vote.Sig)
	case a.Proposal != nil && b.Proposal != nil:
		return a.Proposal.Round == b.Proposal.Round && bytes.Equal(a.Proposal.Sig, b.Proposal.Sig)
	}
	return false
}

func (m *Machine) verifyVote(v *Vote) error {
	return verifyVoteWith(m.recover, m.cfg.ChainID, v)
}

func (m *Machine) recover(hash common.Hash, sig []byte) (common.Address, error) {
	if m.cfg.Recover != nil {
		return m.cfg.Recover(hash, sig)
	}
	return chain.RecoverSigner(hash, sig)
}

// verifyCert is chain.Certificate.Verify against the set of the
// certificate's own height, or the same rules over Config.Recover when one
// is set.
func (m *Machine) verifyCert(c *chain.Certificate) error {
	vs := m.vs
	if c.Height != m.height {
		vs = m.cfg.setAt(c.Height)
	}
	return c.VerifyWith(m.cfg.ChainID, vs, m.recover)
}

func verifyVoteSig(chainID string, v *Vote) error {
	return verifyVoteWith(chain.RecoverSigner, chainID, v)
}

func verifyVoteWith(recover func(common.Hash, []byte) (common.Address, error), chainID string, v *Vote) error {
	signer, err := recover(v.SignHash(chainID), v.Sig)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadSignature, v, err)
	}
	if signer != v.Validator {
		return fmt.Errorf("%w: %s is signed by %s", ErrBadSignature, v, signer)
	}
	return nil
}

// checkBlock is what the core itself requires of a block at the current
// height (the rest of valid(v) is App.ValidateBlock, asked when withApp).
func (m *Machine) checkBlock(b *chain.Block, withApp bool) error {
	hd := b.Header
	if hd.ChainID != m.cfg.ChainID {
		return fmt.Errorf("%w: chain id %q, want %q", ErrInvalidBlock, hd.ChainID, m.cfg.ChainID)
	}
	if hd.Height != m.height {
		return fmt.Errorf("%w: block height %d, machine at %d", ErrInvalidBlock, hd.Height, m.height)
	}
	if want := m.holder(hd.Round); hd.Proposer != want {
		return fmt.Errorf("%w: block of height %d round %d names proposer %s, the key holder is %s", ErrInvalidBlock, hd.Height, hd.Round, hd.Proposer, want)
	}
	if err := m.checkLastCommit(hd); err != nil {
		return err
	}
	if withApp {
		if err := m.cfg.App.ValidateBlock(b); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidBlock, err)
		}
	}
	return nil
}

func (m *Machine) checkLastCommit(hd *chain.Header) error {
	lc := hd.LastCommit
	if m.height == 1 {
		if lc != nil {
			return fmt.Errorf("%w: block 1 carries a last commit certificate", ErrInvalidBlock)
		}
		return nil
	}
	if lc == nil {
		return fmt.Errorf("%w: block %d has no last commit certificate", ErrInvalidBlock, hd.Height)
	}
	if m.lastCommit != nil && hd.Parent != m.lastCommit.BlockHash {
		return fmt.Errorf("%w: block %d has parent %s, decided block %d is %s", ErrInvalidBlock, hd.Height, hd.Parent.TerminalString(), m.height-1, m.lastCommit.BlockHash.TerminalString())
	}
	if lc.Height != m.height-1 || lc.BlockHash != hd.Parent {
		return fmt.Errorf("%w: last commit certificate is for block %d %s, want %d %s", ErrInvalidBlock, lc.Height, lc.BlockHash.TerminalString(), m.height-1, hd.Parent.TerminalString())
	}
	key := certKey(lc)
	err, ok := m.certOK[key]
	if !ok {
		err = m.verifyCert(lc)
		m.certOK[key] = err
	}
	if err != nil {
		return fmt.Errorf("%w: last commit certificate: %v", ErrInvalidBlock, err)
	}
	return nil
}

func certKey(c *chain.Certificate) common.Hash {
	b, err := rlp.EncodeToBytes(c)
	if err != nil {
		return common.Hash{}
	}
	return crypto.Keccak256Hash(b)
}

// msgError is a routine refusal, formatted only if someone reads it.
type msgError struct {
	kind   error
	msg    Message
	height uint64
}

func (e *msgError) Error() string {
	return fmt.Sprintf("%v: %s, machine at height %d", e.kind, e.msg, e.height)
}

func (e *msgError) Unwrap() error { return e.kind }
