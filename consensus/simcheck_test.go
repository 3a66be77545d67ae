package consensus

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

func (s *sim) onCommit(n *simNode, c Commit) {
	h := n.height()
	b := c.Block
	if b.Height() != h {
		s.failf("node %d committed height %d, expected %d", n.id, b.Height(), h)
	}
	// The chain's own check on a sample; the same rules with the shared
	// recovery cache otherwise.
	err := c.Cert.VerifyWith(testChainID, s.setAt(h), s.recover)
	if s.rng.Intn(16) == 0 {
		err = c.Cert.Verify(testChainID, s.setAt(h))
	}
	if err != nil || c.Cert.BlockHash != b.Hash() || c.Cert.Height != h {
		s.failf("node %d height %d: bad certificate (%v)", n.id, h, err)
	}
	s.noteCertSigners(h, c.Cert)
	seed := n.seeds[len(n.chain)]
	if want := s.setAt(h).Holder(seed, b.Header.Round); b.Header.Proposer != want {
		s.failf("node %d height %d: block by %s, the holder of round %d is %s", n.id, h, b.Header.Proposer, b.Header.Round, want)
	}
	if c.Cert.Round > uint32(s.stats.maxRound) {
		s.stats.maxRound = uint64(c.Cert.Round)
	}
	n.chain = append(n.chain, c)
	n.seeds = append(n.seeds, chain.NextSeed(seed, b.Header.Reveal))
	s.tracef("node %d COMMIT h=%d %s round %d", n.id, h, b.Hash().TerminalString(), c.Cert.Round)
	if n.byz {
		return
	}
	if d, ok := s.decided[h]; !ok {
		s.decided[h] = b.Hash()
		s.seedAt[h] = seed
		s.seedAt[h+1] = chain.NextSeed(seed, b.Header.Reveal)
		if h > s.stats.heights {
			s.stats.heights = h
		}
	} else if d != b.Hash() {
		s.failf("AGREEMENT: node %d committed %s at height %d, another honest node %s", n.id, b.Hash().TerminalString(), h, d.TerminalString())
	}
}

// onSigned checks what an honest node signs, sent or not (a crash may
// keep it from leaving).
func (s *sim) onSigned(n *simNode, msg Message) {
	if !n.byz {
		s.learn(n, msg)
		if s.checkSigned(n, msg) {
			s.checkRules(n, msg)
		}
	}
}

// onSend checks what an honest node signs and puts it on the wire.
func (s *sim) onSend(n *simNode, msg Message) {
	s.onSigned(n, msg)
	s.tracef("node %d sends %s", n.id, msg)
	msg = s.wire(msg)
	if s.sc.byz == byzStrong || s.sc.byz == byzThird {
		s.noteWire(msg)
	}
	if n.byz {
		s.byzSend(n, msg)
		return
	}
	s.send(n.id, msg, s.all())
}

// checkSigned checks one signature per step and reports whether msg is a
// new signature of n's own (not a repeat, not relayed).
func (s *sim) checkSigned(n *simNode, msg Message) bool {
	var k signKey
	var h common.Hash
	if n.signer == nil {
		if msg.Proposal == nil && msg.Vote == nil {
			s.failf("observer %d sent an empty message", n.id)
		}
		return false // an observer only relays what others signed
	}
	self := n.signer.Address()
	switch {
	case msg.Vote != nil:
		if msg.Vote.Validator != self {
			return false // relayed
		}
		v := msg.Vote
		k, h = signKey{self, v.Height, v.Round, uint8(v.Type)}, v.SignHash(testChainID)
	case msg.Proposal != nil:
		p := msg.Proposal
		seed, ok := s.seedAt[p.Height]
		if !ok || s.setAt(p.Height).Holder(seed, p.Round) != self {
			return false // relayed, or a height no honest node decided the seed of yet
		}
		k, h = signKey{self, p.Height, p.Round, 0}, p.SignHash(testChainID)
	}
	old, ok := s.signed[k]
	if ok && old != h {
		s.failf("DOUBLE SIGN: honest node %d signed two messages for %+v", n.id, k)
	}
	s.signed[k] = h
	return !ok
}

func (s *sim) onEvidence(n *simNode, ev Evidence) {
	key := string(ev.Key())
	if s.evidence[key] {
		return // already checked when another node reported it
	}
	s.evidence[key] = true
	if err := ev.Verify(testChainID, s.setAt(evidenceHeight(ev))); err != nil {
		s.failf("node %d reported bogus evidence: %v", n.id, err)
		return
	}
	if ev.ProposalA != nil {
		s.stats.proposalEvidence++
	}
	if off := s.byAddr[ev.OffenderAddress()]; !off.byz {
		s.failf("node %d accuses honest node %d", n.id, off.id)
	}
}

// evidenceHeight is the height of the offence.
func evidenceHeight(ev Evidence) uint64 {
	if ev.ProposalA != nil {
		return ev.ProposalA.Height
	}
	return ev.A.Height
}
