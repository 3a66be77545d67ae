package consensus

import (
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// This file is Algorithm 1 of Buchman, Kwon and Milosevic, "The latest
// gossip on BFT consensus" (2018). Comments cite its line numbers.
//
// Deliberate departures, each safe:
//   - Lines 36 and 49 accept the block v from any proposal seen at this
//     height, not only from the proposal of the round whose votes are
//     counted (a block hash commits to the whole block), so a node that
//     missed one proposal message but holds the block can still lock and
//     decide.
//   - Line 28 does not make a node locked on v wait for the proof of lock
//     before prevoting v: prevoting one's own locked value is always
//     allowed (line 23). After all validators restart, the POL votes may
//     exist nowhere any more.
//   - "2f+1 messages for v" counts a validator that signed votes for two
//     blocks toward both (see voteSet): the statement "more than 2/3 of the
//     power signed v" stays true, and otherwise one equivocator could hide
//     a proof of lock from half of the network forever.
//   - The key holder also schedules timeoutPropose (line 21), because the
//     node builds its block asynchronously.
//   - A restarted validator resumes in the round of its safety record and
//     re-sends the votes it recorded; messages it cannot re-sign are
//     refused by the CheckHRS guard in sign.

// startRound is StartRound (lines 11-21).
func (m *Machine) startRound(r uint32) {
	m.round, m.step = r, StepPropose
	m.awaitBlock, m.propose = false, nil
	m.rs(r)
	if m.canSign() && m.holder(r) == m.self && m.safety.allows(m.height, r, StepPropose) {
		if m.validRound >= 0 {
			// lines 15-16: re-propose the valid value. After a restart the
			// block itself may be unknown; then stay silent rather than
			// propose something that conflicts with the lock.
			if kb := m.blocks[m.validBlock]; kb != nil {
				m.signProposal(kb.block, m.validRound)
			}
		} else {
			// line 18: getValue() is the node's job.
			m.awaitBlock = true
			m.propose = &ProposeRequest{Height: m.height, Round: r, LastCommit: m.lastCommit, Seed: m.seed}
		}
	}
	// line 21; the holder waits too, since it builds its block asynchronously.
	m.schedule(timeoutPropose, r, m.cfg.timeout(m.cfg.ProposeTicks, r))
	m.replayAhead()
}

// signProposal signs and broadcasts ⟨PROPOSAL, h, r, b, pol⟩ (line 19),
// with the POL prevotes so that peers that missed them can check line 28.
func (m *Machine) signProposal(b *chain.Block, pol int32) bool {
	p := &Proposal{Height: m.height, Round: m.round, POLRound: pol, Block: b}
	sig, ok := m.sign(StepPropose, m.round, p.SignHash(m.cfg.ChainID))
	if !ok {
		return false
	}
	p.Sig = sig
	m.acceptProposal(p)
	m.sendProposal(p)
	return true
}

func (m *Machine) sendProposal(p *Proposal) {
	m.send(Message{Proposal: p})
	if p.POLRound >= 0 {
		if pol := m.rounds[uint32(p.POLRound)]; pol != nil {
			for _, v := range pol.prevotes.forBlock(p.Block.Hash()) {
				m.send(Message{Vote: v})
			}
		}
	}
}

// vote signs, records and broadcasts our vote at the current round.
func (m *Machine) vote(t chain.VoteType, h common.Hash) {
	v := &Vote{Type: t, Height: m.height, Round: m.round, BlockHash: h, Validator: m.self}
	step := StepPrevote
	if t == chain.VotePrecommit {
		step = StepPrecommit
	}
	sig, ok := m.sign(step, m.round, v.SignHash(m.cfg.ChainID))
	if !ok {
		return
	}
	v.Sig = sig
	m.safety.Votes = append(m.safety.Votes, v) // so a restart can re-send it
	m.acceptVote(v)
	m.send(Message{Vote: v})
}

// sign is the CheckHRS guard: it signs only strictly after the last signed
// (height, round, step) and records the new one in the safety record, which
// the node persists before sending.
func (m *Machine) sign(step RoundStep, round uint32, hash common.Hash) ([]byte, bool) {
	if !m.canSign() || !m.safety.allows(m.height, round, step) {
		return nil, false
	}
	sig, err := m.cfg.Signer.Sign(hash)
	if err != nil || len(sig) != 65 {
		return nil, false // a failing signer is a silent validator, never an unsafe one
	}
	if m.safety.Height != m.height {
		m.safety.Votes = nil
	} else if m.safety.Round != round {
		// keep the votes of the round before this one
		var keep []*Vote
		for _, v := range m.safety.Votes {
			if v.Round+1 == round {
				keep = append(keep, v)
			}
		}
		m.safety.Votes = keep
	}
	m.safety.Height, m.safety.Round, m.safety.Step = m.height, round, step
	m.syncLock()
	return sig, true
}

// syncLock copies the lock and valid value into the safety record.
func (m *Machine) syncLock() {
	if !m.canSign() || m.safety.Height > m.height {
		return // an observer, or a watch that must leave the signer state missing
	}
	if m.safety.Height < m.height {
		m.safety = SafetyRecord{Height: m.height, Step: StepNone}
	}
	m.safety.LockedRound, m.safety.LockedBlock = m.lockedRound, m.lockedBlock
	m.safety.ValidRound, m.safety.ValidBlock = m.validRound, m.validBlock
	m.safetyDirty = true
}

// process applies the upon-rules until none fires.
func (m *Machine) process() {
	for {
		changed := m.ruleDecide() || m.ruleSkip() || m.ruleProposal() || m.ruleLock() || m.rulePrevoteNil()
		if !changed {
			m.ruleTimers()
			return
		}
	}
}

// validity is valid(v): ok reports validity, known is false while it cannot
// be evaluated yet (a decided block is not yet applied by the node).
func (m *Machine) validity(kb *knownBlock) (ok, known bool) {
	if kb.checked {
		return kb.err == nil, true
	}
	if m.unapplied > 0 {
		return false, false
	}
	kb.err = m.checkBlock(kb.block, true)
	kb.checked = true
	return kb.err == nil, true
}

// ruleDecide is lines 49-54: a proposal for v and 2f+1 precommits for id(v)
// in some round r decide v.
func (m *Machine) ruleDecide() bool {
	for _, r := range m.roundList {
		rs := m.rounds[r]
		id, ok := rs.precommits.quorumFor(m.vs)
		if !ok {
			continue
		}
		kb := m.blocks[id]
		if kb == nil {
			continue
		}
		if valid, known := m.validity(kb); !valid || !known {
			continue
		}
		if !rs.prevotes.hasQuorumFor(m.vs, id) {
			m.noteBehind() // decided on a certificate's precommits alone: not watched live
		}
		m.decide(kb, rs.certificate(m.height, r, id))
		return true
	}
	return false
}

// decide records the decision (line 51), moves to the next height with its
// seed s_{h+1} = Keccak(s_h ‖ reveal) (line 52), resets the lock (line 53)
// and starts round 0 (line 54).
func (m *Machine) decide(kb *knownBlock, cert *chain.Certificate) {
	m.commits = append(m.commits, Commit{Block: kb.block, Cert: cert})
	m.unapplied++
	m.watchDecided(m.height)
	m.lastDecided = kb.proposal
	m.peerBehind = false
	m.enterHeight(m.height+1, chain.NextSeed(m.seed, kb.block.Header.Reveal), cert)
}

// ruleSkip is lines 55-56: messages from more than a third of the power
// (f+1) for rounds above ours move us to the highest such round.
func (m *Machine) ruleSkip() bool {
	if !m.skipDirty {
		return false
	}
	m.skipDirty = false
	type vr struct {
		round uint32
		power uint64
	}
	var ahead []vr
	for _, v := range m.vs.Validators {
		if r, ok := m.maxRound[v.Address]; ok && r > m.round {
			ahead = append(ahead, vr{r, v.Power})
		}
	}
	sort.SliceStable(ahead, func(i, j int) bool { return ahead[i].round > ahead[j].round })
	var power uint64
	for _, a := range ahead {
		power += a.power
		if 3*power > m.vs.TotalPower() {
			m.startRound(a.round)
			return true
		}
	}
	return false
}

// ruleProposal is lines 22-27 (no POL) and 28-33 (POL round vr < round).
func (m *Machine) ruleProposal() bool {
	if m.step != StepPropose {
		return false
	}
	rs := m.rounds[m.round]
	if rs == nil || rs.proposal == nil {
		return false
	}
	p := rs.proposal
	id := p.Block.Hash()
	kb := m.blocks[id]
	if kb == nil {
		return false
	}
	valid, known := m.validity(kb)
	if !known {
		return false
	}
	var accept bool
	if p.POLRound < 0 {
		// line 23, with proposer-based timestamps: a fresh proposal must
		// also be timely by the local clock, asked anew and never cached.
		accept = valid && (m.lockedRound == -1 || m.lockedBlock == id) && m.cfg.App.CheckTimely(p.Block) == nil
	} else {
		// line 28: wait for 2f+1 prevotes for id(v) at vr. A node locked
		// on v need not wait: prevoting its own locked value is always
		// allowed (as on line 23), and after a restart of every validator
		// the POL votes may exist nowhere any more.
		pol := m.rounds[uint32(p.POLRound)]
		hasPOL := pol != nil && pol.prevotes.hasQuorumFor(m.vs, id)
		if !hasPOL && m.lockedBlock != id {
			return false
		}
		// line 29
		accept = valid && (m.lockedRound <= p.POLRound || m.lockedBlock == id)
	}
	if accept {
		m.vote(chain.VotePrevote, id) // lines 24, 30
	} else {
		m.vote(chain.VotePrevote, common.Hash{}) // lines 26, 32
	}
	m.step = StepPrevote // lines 27, 33
	return true
}

// ruleLock is lines 36-43: 2f+1 prevotes for a valid v in this round lock
// it (if still at prevote) and make it the valid value.
func (m *Machine) ruleLock() bool {
	if m.step < StepPrevote {
		return false
	}
	rs := m.rounds[m.round]
	if rs == nil || rs.lockDone {
		return false
	}
	id, ok := rs.prevotes.quorumFor(m.vs)
	if !ok {
		return false
	}
	kb := m.blocks[id]
	if kb == nil {
		return false
	}
	if valid, known := m.validity(kb); !valid || !known {
		return false
	}
	rs.lockDone = true
	m.validRound, m.validBlock = int32(m.round), id // lines 42-43
	if m.canSign() {
		m.validOut = m.validValue()
	}
	if m.step == StepPrevote {
		m.lockedRound, m.lockedBlock = int32(m.round), id // lines 38-39
		m.syncLock()
		m.vote(chain.VotePrecommit, id) // line 40
		m.step = StepPrecommit          // line 41
	}
	m.syncLock()
	return true
}

// rulePrevoteNil is lines 44-46.
func (m *Machine) rulePrevoteNil() bool {
	if m.step != StepPrevote {
		return false
	}
	rs := m.rounds[m.round]
	if rs == nil || !rs.prevotes.hasQuorumFor(m.vs, common.Hash{}) {
		return false
	}
	m.vote(chain.VotePrecommit, common.Hash{})
	m.step = StepPrecommit
	return true
}

// ruleTimers is lines 34-35 and 47-48.
func (m *Machine) ruleTimers() {
	rs := m.rounds[m.round]
	if rs == nil {
		return
	}
	if m.step == StepPrevote && !rs.prevoteTimer && rs.prevotes.hasQuorumAny(m.vs) {
		rs.prevoteTimer = true
		m.schedule(timeoutPrevote, m.round, m.cfg.timeout(m.cfg.PrevoteTicks, m.round))
	}
	if !rs.precommitTimer && rs.precommits.hasQuorumAny(m.vs) {
		rs.precommitTimer = true
		m.schedule(timeoutPrecommit, m.round, m.cfg.timeout(m.cfg.PrecommitTicks, m.round))
	}
}

func (m *Machine) schedule(k timeoutKind, r uint32, after uint64) {
	m.timers = append(m.timers, timer{kind: k, height: m.height, round: r, at: m.now + after})
}

// fireTimers runs the timeouts due now, in the order they were scheduled.
func (m *Machine) fireTimers() {
	var due []timer
	keep := m.timers[:0]
	for _, t := range m.timers {
		if t.at <= m.now {
			due = append(due, t)
		} else {
			keep = append(keep, t)
		}
	}
	m.timers = keep
	for _, t := range due {
		m.onTimeout(t)
	}
}

// onTimeout is lines 57-67.
func (m *Machine) onTimeout(t timer) {
	if t.height != m.height || t.round != m.round {
		return
	}
	switch t.kind {
	case timeoutPropose:
		if m.step == StepPropose {
			m.awaitBlock, m.propose = false, nil
			m.vote(chain.VotePrevote, common.Hash{})
			m.step = StepPrevote
		}
	case timeoutPrevote:
		if m.step == StepPrevote {
			m.vote(chain.VotePrecommit, common.Hash{})
			m.step = StepPrecommit
		}
	case timeoutPrecommit:
		m.startRound(m.round + 1)
	}
}

// rebroadcast re-sends what peers need from us to make progress despite
// lost messages: our proposal and votes of this round and the last, and,
// when a peer is one height behind, the decision it is missing (the
// proposal that carried the block and the certificate's precommits).
func (m *Machine) rebroadcast() {
	if m.isValidator() {
		if rs := m.rounds[m.round]; rs != nil && rs.proposal != nil && m.holder(m.round) == m.self {
			m.sendProposal(rs.proposal)
		}
		rounds := []uint32{m.round}
		if m.round > 0 {
			rounds = []uint32{m.round - 1, m.round}
		}
		for _, r := range rounds {
			if rs := m.rounds[r]; rs != nil {
				for _, set := range []*voteSet{rs.prevotes, rs.precommits} {
					if v := set.votes[m.self]; v != nil {
						m.send(Message{Vote: v})
					}
				}
			}
		}
	}
	if m.peerBehind && m.lastDecided != nil && m.lastCommit != nil {
		m.peerBehind = false
		m.send(Message{Proposal: m.lastDecided})
		c := m.lastCommit
		for _, cs := range c.Sigs {
			m.send(Message{Vote: &Vote{Type: chain.VotePrecommit, Height: c.Height, Round: c.Round, BlockHash: c.BlockHash, Validator: cs.Validator, Sig: cs.Sig}})
		}
	}
}
