package consensus

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// The signed-history checker. Outcomes (agreement, liveness) catch a
// broken rule only when the break happens to fork the chain; this checks
// every signature an honest node makes against the rule of Algorithm 1
// that allows it, given what the node could know: every correctly signed
// message delivered to it, at any time (a superset of what its machine
// holds after restarts and drops, so a violation found is a real one).
//
//   - one signature per (height, round, step), and each new signature
//     strictly after the node's previous one (CheckHRS), across restarts
//     and a lost data dir;
//   - entering round r > 0 (its first signature there): 2f+1 precommits of
//     round r-1 (line 47, then line 65) or f+1 messages of rounds >= r
//     (line 55);
//   - prevote v (lines 22-33): a proposal of the round's holder for v, with
//     POL round -1 and no lock on another value (line 23), or POL round vr
//     < r with 2f+1 prevotes for v at vr (line 28; a node locked on v need
//     not wait) and lockedRound <= vr or locked on v (line 29). The lock is
//     what the node itself precommitted (lines 36-41);
//   - prevote nil without any proposal of the round: only after
//     timeoutPropose (line 57);
//   - precommit v: its own prevote in the round and 2f+1 prevotes for v
//     (line 36);
//   - precommit nil: its own prevote in the round and 2f+1 prevotes for
//     nil (line 44), or 2f+1 prevotes of any kind and timeoutPrevote since
//     (lines 34, 61);
//   - proposal (valid value, lines 14-19 and 36-43): a fresh value (POL -1)
//     only when not locked; a POL round vr < r with 2f+1 prevotes for the
//     block at vr, vr >= the node's locked round, and the locked block if
//     vr is the locked round.

type voteID struct {
	h     uint64
	r     uint32
	t     chain.VoteType
	block common.Hash
}

type roundKey struct {
	h uint64
	r uint32
	t chain.VoteType
}

type propInfo struct {
	block  common.Hash
	pol    int32
	signer common.Address // the holder's, or the proposal does not count
}

// knowledge is what was delivered to one node, or signed by it.
type knowledge struct {
	voters      map[voteID]map[common.Address]bool
	power       map[voteID]uint64
	anyVoters   map[roundKey]map[common.Address]bool
	anyPower    map[roundKey]uint64
	anyQuorumAt map[roundKey]uint64 // tick at which 2f+1 of any kind were first known
	proposals   map[[2]uint64][]propInfo
	maxRound    map[uint64]map[common.Address]uint32
}

func newKnowledge() *knowledge {
	return &knowledge{
		voters: map[voteID]map[common.Address]bool{}, power: map[voteID]uint64{},
		anyVoters: map[roundKey]map[common.Address]bool{}, anyPower: map[roundKey]uint64{}, anyQuorumAt: map[roundKey]uint64{},
		proposals: map[[2]uint64][]propInfo{}, maxRound: map[uint64]map[common.Address]uint32{},
	}
}

// ownHistory is what one honest validator signed at one height.
type ownHistory struct {
	last       [2]uint32 // round, step of the last signature
	any        bool
	prevotes   map[uint32]common.Hash
	precommits map[uint32]common.Hash
	rounds     map[uint32]bool // rounds it signed in
}

// signedMsg is a message whose signature verifies, with its signer (a
// proposal's signer must hold the key of its round).
func (s *sim) signedMsg(msg Message) (common.Address, bool) {
	if v := msg.Vote; v != nil {
		if ok, seen := s.sigOK[v]; seen {
			return v.Validator, ok
		}
		a, err := s.recover(v.SignHash(testChainID), v.Sig)
		ok := err == nil && a == v.Validator
		s.sigOK[v] = ok
		return v.Validator, ok
	}
	p := msg.Proposal
	if c, seen := s.propOK[p]; seen {
		return c.signer, c.ok
	}
	a, err := s.recover(p.SignHash(testChainID), p.Sig)
	s.propOK[p] = propCheck{signer: a, ok: err == nil, block: p.Block.Hash()}
	return a, err == nil
}

type propCheck struct {
	signer common.Address
	ok     bool
	block  common.Hash
}

// learn adds a message delivered to (or signed by) n to what n knows.
func (s *sim) learn(n *simNode, msg Message) {
	if n.know == nil {
		return
	}
	signer, ok := s.signedMsg(msg)
	if !ok {
		return
	}
	k := n.know
	h := msg.Height()
	var r uint32
	if v := msg.Vote; v != nil {
		r = v.Round
		id := voteID{v.Height, v.Round, v.Type, v.BlockHash}
		if k.voters[id] == nil {
			k.voters[id] = map[common.Address]bool{}
		}
		if k.voters[id][signer] {
			return
		}
		k.voters[id][signer] = true
		val, _ := s.setAt(h).Get(signer)
		k.power[id] += val.Power
		rk := roundKey{v.Height, v.Round, v.Type}
		if k.anyVoters[rk] == nil {
			k.anyVoters[rk] = map[common.Address]bool{}
		}
		if !k.anyVoters[rk][signer] {
			k.anyVoters[rk][signer] = true
			k.anyPower[rk] += val.Power
			if _, ok := k.anyQuorumAt[rk]; !ok && s.setAt(h).HasQuorum(k.anyPower[rk]) {
				k.anyQuorumAt[rk] = s.now
			}
		}
	} else {
		p := msg.Proposal
		r = p.Round
		key := [2]uint64{p.Height, uint64(p.Round)}
		info := propInfo{s.propOK[p].block, p.POLRound, signer}
		for _, old := range k.proposals[key] {
			if old == info {
				return
			}
		}
		k.proposals[key] = append(k.proposals[key], info)
	}
	if k.maxRound[h] == nil {
		k.maxRound[h] = map[common.Address]uint32{}
	}
	if old, ok := k.maxRound[h][signer]; !ok || r > old {
		k.maxRound[h][signer] = r
	}
}

func (k *knowledge) hasPOL(vs *chain.ValidatorSet, h uint64, r uint32, block common.Hash) bool {
	return vs.HasQuorum(k.power[voteID{h, r, chain.VotePrevote, block}])
}

// history returns n's signed history at height h.
func (n *simNode) history(h uint64) *ownHistory {
	if n.hist == nil {
		n.hist = map[uint64]*ownHistory{}
	}
	oh := n.hist[h]
	if oh == nil {
		oh = &ownHistory{prevotes: map[uint32]common.Hash{}, precommits: map[uint32]common.Hash{}, rounds: map[uint32]bool{}}
		n.hist[h] = oh
	}
	return oh
}

// lockBefore is the node's lock when it signs in round r: its last non-nil
// precommit of an earlier round (lines 36-41), or round -1.
func (oh *ownHistory) lockBefore(r uint32) (int32, common.Hash) {
	lr, lv := int32(-1), common.Hash{}
	for pr, v := range oh.precommits {
		if pr < r && v != (common.Hash{}) && int32(pr) > lr {
			lr, lv = int32(pr), v
		}
	}
	return lr, lv
}

// checkRules checks one new signature of honest node n.
func (s *sim) checkRules(n *simNode, msg Message) {
	k := n.know
	var (
		h    uint64
		r    uint32
		step uint32
	)
	switch {
	case msg.Vote != nil:
		h, r, step = msg.Vote.Height, msg.Vote.Round, uint32(StepPrevote)
		if msg.Vote.Type == chain.VotePrecommit {
			step = uint32(StepPrecommit)
		}
	default:
		h, r, step = msg.Proposal.Height, msg.Proposal.Round, uint32(StepPropose)
	}
	// CheckHRS across the node's whole life.
	if last := n.lastSigned; n.signedAny && (h < last.h || h == last.h && (r < last.r || r == last.r && step <= last.step)) {
		s.failf("SIGN ORDER: honest node %d signed h=%d r=%d step=%d after h=%d r=%d step=%d", n.id, h, r, step, last.h, last.r, last.step)
	}
	n.signedAny, n.lastSigned = true, signPos{h, r, step}
	oh := n.history(h)
	f1 := func(power uint64) bool { return 3*power > s.setAt(h).TotalPower() }

	// Entering round r (lines 47/65, 55).
	if r > 0 && !oh.rounds[r] {
		byTimeout := s.setAt(h).HasQuorum(k.anyPower[roundKey{h, r - 1, chain.VotePrecommit}])
		var ahead uint64
		for a, mr := range k.maxRound[h] {
			if mr >= r {
				v, _ := s.setAt(h).Get(a)
				ahead += v.Power
			}
		}
		if !byTimeout && !f1(ahead) {
			s.failf("ROUND RULE: honest node %d signed in round %d of height %d without 2f+1 precommits of round %d (line 47) or f+1 messages of rounds >= %d (line 55)", n.id, r, h, r-1, r)
		}
	}
	oh.rounds[r] = true
	lr, lv := oh.lockBefore(r)
	elapsed := s.now - n.roundSince + 1
	cfg := simConfig(s.setAt(h), nil).withDefaults()

	switch {
	case msg.Proposal != nil:
		p := msg.Proposal
		id := p.Block.Hash()
		switch {
		case p.POLRound < 0 && lr >= 0:
			s.failf("VALID VALUE: honest node %d locked on %s at round %d proposed a fresh block in round %d (line 15)", n.id, lv.TerminalString(), lr, r)
		case p.POLRound >= 0 && (uint32(p.POLRound) >= r || !k.hasPOL(s.setAt(h), h, uint32(p.POLRound), id)):
			s.failf("VALID VALUE: honest node %d proposed %s at h=%d r=%d with POL round %d and no proof of lock there (lines 16, 42)", n.id, id.TerminalString(), h, r, p.POLRound)
		case p.POLRound >= 0 && (p.POLRound < lr || p.POLRound == lr && id != lv):
			s.failf("VALID VALUE: honest node %d locked on %s at round %d proposed %s with POL round %d (valid round below its lock)", n.id, lv.TerminalString(), lr, id.TerminalString(), p.POLRound)
		}
	case msg.Vote.Type == chain.VotePrevote:
		v := msg.Vote
		oh.prevotes[r] = v.BlockHash
		var props []propInfo
		holder := s.setAt(h).Holder(s.seedAt[h], r)
		for _, p := range k.proposals[[2]uint64{h, uint64(r)}] {
			if p.signer == holder {
				props = append(props, p)
			}
		}
		if v.IsNil() {
			if len(props) == 0 && elapsed < cfg.timeout(cfg.ProposeTicks, r) {
				s.failf("TIMEOUT RULE: honest node %d prevoted nil at h=%d r=%d with no proposal after %d ticks in the round, timeoutPropose is %d (line 57)", n.id, h, r, elapsed, cfg.timeout(cfg.ProposeTicks, r))
			}
			break
		}
		ok := false
		for _, p := range props {
			if p.block != v.BlockHash {
				continue
			}
			if p.pol < 0 {
				ok = ok || lr < 0 || lv == v.BlockHash // line 23
			} else {
				ok = ok || uint32(p.pol) < r && (k.hasPOL(s.setAt(h), h, uint32(p.pol), v.BlockHash) || lv == v.BlockHash) && (lr <= p.pol || lv == v.BlockHash) // lines 28-29
			}
		}
		if !ok {
			s.failf("LOCK RULE: honest node %d prevoted %s at h=%d r=%d, locked on %s at round %d, without a proposal for it that lines 22-29 allow (proposals known: %v)", n.id, v.BlockHash.TerminalString(), h, r, lv.TerminalString(), lr, props)
		}
	default:
		v := msg.Vote
		oh.precommits[r] = v.BlockHash
		if _, ok := oh.prevotes[r]; !ok {
			s.failf("PRECOMMIT RULE: honest node %d precommitted at h=%d r=%d without prevoting in the round (lines 36, 44, 61)", n.id, h, r)
			break
		}
		if !v.IsNil() {
			if !k.hasPOL(s.setAt(h), h, r, v.BlockHash) {
				s.failf("PRECOMMIT RULE: honest node %d precommitted %s at h=%d r=%d without 2f+1 prevotes for it (line 36)", n.id, v.BlockHash.TerminalString(), h, r)
			}
			break
		}
		if k.hasPOL(s.setAt(h), h, r, common.Hash{}) {
			break // line 44
		}
		at, ok := k.anyQuorumAt[roundKey{h, r, chain.VotePrevote}]
		since := n.roundSince
		if at > since {
			since = at
		}
		if !ok || s.now-since+1 < cfg.timeout(cfg.PrevoteTicks, r) {
			s.failf("TIMEOUT RULE: honest node %d precommitted nil at h=%d r=%d without 2f+1 nil prevotes and before timeoutPrevote (%d ticks) after 2f+1 prevotes (lines 34, 61)", n.id, h, r, cfg.timeout(cfg.PrevoteTicks, r))
		}
	}
}

type signPos struct {
	h    uint64
	r    uint32
	step uint32
}

// observe notes when n's machine entered its current round, for the
// timeout rules.
func (s *sim) observe(n *simNode) {
	if n.m == nil {
		return
	}
	st := n.m.Status()
	if st.Height != n.atHeight || st.Round != n.atRound || !n.observed {
		n.atHeight, n.atRound, n.roundSince, n.observed = st.Height, st.Round, s.now, true
	}
}
