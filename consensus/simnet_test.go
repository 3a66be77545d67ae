package consensus

import (
	"container/heap"
	"fmt"
	"math/rand"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// simNode is one node: its machine (nil while crashed) and its disk.
type simNode struct {
	id       int
	signer   *KeySigner
	byz      bool
	m        *Machine
	safety   *SafetyRecord
	valid    *ValidValue
	chain    []Commit
	seeds    []common.Hash // seeds[h-1] is s_h
	midCrash bool          // crash at the next Ready, after persisting safety
	restart  uint64        // tick to restart at, while down
	// crash at the first Ready that records a lock, down for lockDown ticks
	crashOnLock bool
	lockDown    uint64
	wipe        bool // restart with the data dir lost
	restore     bool // restart with the chain database of an older backup
	// the signer-state file exists (created at init, lost with the data
	// dir, written again with the first safety record)
	signerFile bool
	// a block being built for a ProposeRequest
	building *ProposeRequest
	buildAt  uint64

	// checker state (simrules_test.go): what was delivered to the node,
	// what it signed, and when its machine entered its current round
	know       *knowledge
	hist       map[uint64]*ownHistory
	signedAny  bool
	lastSigned signPos
	atHeight   uint64
	atRound    uint32
	roundSince uint64
	observed   bool
}

func (n *simNode) height() uint64 { return uint64(len(n.chain)) + 1 }

type envelope struct {
	at, seq uint64
	to      int
	msg     Message
}

type envHeap []envelope

func (h envHeap) Len() int { return len(h) }
func (h envHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h envHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *envHeap) Push(x any)   { *h = append(*h, x.(envelope)) }
func (h *envHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type signKey struct {
	validator common.Address
	height    uint64
	round     uint32
	kind      uint8 // 0 proposal, else the vote type
}

// sim runs one schedule.
type sim struct {
	sc     schedule
	rng    *rand.Rand
	vs     *chain.ValidatorSet // the genesis set
	sets   []setFrom           // later sets by first height (simsets_test.go)
	nodes  []*simNode
	byAddr map[common.Address]*simNode
	now    uint64
	seq    uint64
	queue  envHeap

	// checker state
	decided    map[uint64]common.Hash // first honest decision per height
	seedAt     map[uint64]common.Hash // s_h along the decided chain
	signed     map[signKey]common.Hash
	violations []string
	// signatures recovered once per schedule, shared by all nodes
	recovered map[string]common.Address
	sigOK     map[*Vote]bool
	propOK    map[*Proposal]propCheck
	evidence  map[string]bool // by Evidence.Key
	// collusion bookkeeping
	colluded map[[2]uint64]bool
	// Byzantine material: real blocks proposed per height, old messages
	realBlocks map[uint64][]common.Hash
	replayPool []Message

	stats  simStats
	leaver *simNode                         // the validator removed mid-run (simsets_test.go)
	trace  func(format string, args ...any) // SOV_SIM_TRACE=1 with SOV_SIM_SEED
}

type simStats struct {
	ticks, heights, maxRound uint64
	healTicks                uint64 // ticks from heal until every honest node had the new blocks
	messages                 uint64
	joinerSigned             uint64 // certificate signatures by the validator that joined (simsets_test.go)
	proposalEvidence         uint64 // distinct pieces of proposal-equivocation evidence reported
}

func newSim(sc schedule) *sim {
	signers, vs := testValidatorsWeighted(sc.powers)
	if sc.sets != nil {
		vs = chain.NewValidatorSet(vs.Validators[:sc.n]) // the last key joins later
	}
	s := &sim{
		sc: sc, rng: rand.New(rand.NewSource(sc.seed ^ 0x5eed)), vs: vs,
		byAddr: make(map[common.Address]*simNode), decided: make(map[uint64]common.Hash),
		seedAt: map[uint64]common.Hash{1: genesisSeed}, signed: make(map[signKey]common.Hash),
		colluded: make(map[[2]uint64]bool), recovered: make(map[string]common.Address), evidence: make(map[string]bool),
		sigOK: make(map[*Vote]bool), propOK: make(map[*Proposal]propCheck), realBlocks: make(map[uint64][]common.Hash),
	}
	// Byzantine validators: f+1 of them when colluding, exactly a third
	// of the (equal) power in byzThird, else at most nByz holding less
	// than a third of the power together (f < n/3 by power).
	var byz []int
	var byzPower uint64
	for _, i := range s.rng.Perm(sc.n) {
		if len(byz) == sc.nByz {
			break
		}
		if v, _ := vs.Get(signers[i].Address()); sc.collude || sc.byz == byzThird || 3*(byzPower+v.Power) < vs.TotalPower() {
			byz = append(byz, i)
			byzPower += v.Power
		}
	}
	for i, sg := range signers {
		n := &simNode{id: i, signer: sg, seeds: []common.Hash{genesisSeed}, signerFile: true}
		for _, b := range byz {
			n.byz = n.byz || b == i
		}
		if !n.byz {
			n.know = newKnowledge()
		}
		s.nodes = append(s.nodes, n)
		s.byAddr[sg.Address()] = n
	}
	if sc.observer {
		s.nodes = append(s.nodes, &simNode{id: len(s.nodes), seeds: []common.Hash{genesisSeed}})
	}
	s.planSets(signers)
	for _, n := range s.nodes {
		s.start(n)
	}
	return s
}

func (s *sim) tracef(format string, args ...any) {
	if s.trace != nil {
		s.trace("t=%d "+format, append([]any{s.now}, args...)...)
	}
}

func (s *sim) failf(format string, args ...any) {
	if len(s.violations) < 5 {
		s.violations = append(s.violations, fmt.Sprintf("tick %d: ", s.now)+fmt.Sprintf(format, args...))
	}
}

// start (re)starts n from its disk.
func (s *sim) start(n *simNode) {
	if n.wipe {
		n.wipe, n.signerFile = false, false
		n.chain, n.seeds, n.safety, n.valid = nil, []common.Hash{genesisSeed}, nil, nil
	}
	if n.restore {
		// The signer state is a file of its own and survives: the machine
		// must not sign again at the heights it replays.
		n.restore = false
		keep := s.rng.Intn(len(n.chain) + 1)
		n.chain, n.seeds = n.chain[:keep], n.seeds[:keep+1]
	}
	st := StartState{Height: n.height(), Seed: n.seeds[len(n.chain)], Safety: n.safety, Valid: n.valid, SignerStateLost: n.signer != nil && !n.signerFile}
	if len(n.chain) > 0 {
		st.LastCommit = n.chain[len(n.chain)-1].Cert
	}
	var signer Signer
	if n.signer != nil {
		signer = n.signer
	}
	cfg := simConfig(s.vs, signer)
	cfg.Recover = s.recover
	if s.sets != nil {
		cfg.ValidatorsAt = s.setAt
	}
	m, err := New(cfg, st)
	if err != nil {
		s.failf("node %d restart: %v", n.id, err)
		return
	}
	n.m, n.building, n.observed = m, nil, false
	s.drain(n)
}

func (s *sim) partitioned(a, b int) bool {
	for _, p := range s.sc.parts {
		if s.now >= p.from && s.now < p.to && p.side[a] != p.side[b] {
			return true
		}
	}
	return false
}

func (s *sim) chaos() bool { return s.now < s.sc.chaosEnd }

// send puts msg from node `from` on the wire to each of `to`.
func (s *sim) send(from int, msg Message, to []int) {
	for _, t := range to {
		if t == from || s.partitioned(from, t) {
			continue
		}
		copies := 1
		if s.chaos() {
			if s.rng.Float64() < s.sc.dropP {
				continue
			}
			if s.rng.Float64() < s.sc.dupP {
				copies = 2
			}
		}
		for c := 0; c < copies; c++ {
			delay := uint64(1 + s.rng.Intn(s.sc.maxDelay))
			if !s.chaos() {
				delay = uint64(1 + s.rng.Intn(3))
			}
			s.seq++
			heap.Push(&s.queue, envelope{at: s.now + delay, seq: s.seq, to: t, msg: msg})
			s.stats.messages++
		}
	}
}

func (s *sim) all() []int {
	out := make([]int, len(s.nodes))
	for i := range out {
		out[i] = i
	}
	return out
}

// wire passes a message through its encoding, as the network would.
func (s *sim) wire(msg Message) Message {
	if s.rng.Intn(8) != 0 {
		return msg // encoding is costly for blocks; check it on a sample
	}
	out, err := DecodeMessage(msg.Encode())
	if err != nil {
		s.failf("message %s does not survive encoding: %v", msg, err)
		return msg
	}
	return out
}

// drain handles a node's Ready batches as the node does: persist safety,
// store commits, send, advance, then build the requested block.
func (s *sim) drain(n *simNode) {
	defer s.observe(n)
	for n.m != nil && n.m.HasReady() {
		rd := n.m.Ready()
		if rd.Safety != nil {
			c := *rd.Safety
			n.safety, n.signerFile = &c, true
		}
		if rd.Valid != nil {
			n.valid = rd.Valid
		}
		if n.midCrash {
			for _, msg := range rd.Messages {
				s.onSigned(n, msg) // signed, never sent
			}
			n.midCrash, n.m = false, nil
			return
		}
		if n.crashOnLock && rd.Safety != nil && rd.Safety.LockedBlock != (common.Hash{}) {
			// Crash right after the lock is on disk and the precommit has
			// left; come back soon, while the round may still go on.
			for _, msg := range rd.Messages {
				s.onSend(n, msg)
			}
			s.tracef("node %d CRASH while locked on %s until %d", n.id, rd.Safety.LockedBlock.TerminalString(), s.now+n.lockDown)
			n.crashOnLock, n.m, n.restart = false, nil, s.now+n.lockDown
			return
		}
		for _, c := range rd.Committed {
			s.onCommit(n, c)
		}
		for _, msg := range rd.Messages {
			s.onSend(n, msg)
		}
		for _, ev := range rd.Evidence {
			s.onEvidence(n, ev)
		}
		n.m.Advance(rd)
		if rd.Propose != nil {
			n.building, n.buildAt = rd.Propose, s.now+uint64(s.sc.proposeAt)
			if n.byz && s.sc.collude {
				n.buildAt = s.now // strike before the round's timeouts
			}
			s.build(n)
		}
	}
}

// build hands the requested block to the machine once it is "built".
func (s *sim) build(n *simNode) {
	req := n.building
	if req == nil || n.m == nil || s.now < n.buildAt {
		return
	}
	n.building = nil
	if n.byz && (s.sc.collude || (s.sc.byz == byzStrong || s.sc.byz == byzThird) && s.rng.Intn(2) == 0) {
		// The split strike: two real blocks, one to each half of the honest
		// nodes, and every Byzantine validator's votes for each to its half.
		// Safe with f Byzantine validators (less than a third of the power,
		// or exactly a third under a quorum of more than 2/3).
		s.collude(n, req)
		return
	}
	if err := n.m.Propose(buildBlock(req, n.signer.Address(), 0)); err != nil {
		if st := n.m.Status(); st.Height == req.Height && st.Round == req.Round && st.Step == StepPropose {
			s.failf("node %d: Propose for its own request failed: %v", n.id, err)
		}
		return
	}
	s.drain(n)
}

// recover is chain.RecoverSigner with a cache, as a node's gossip layer
// would have: every node of the simulation recovers the same signatures.
func (s *sim) recover(hash common.Hash, sig []byte) (common.Address, error) {
	key := string(hash[:]) + string(sig)
	if a, ok := s.recovered[key]; ok {
		return a, nil
	}
	a, err := chain.RecoverSigner(hash, sig)
	if err == nil {
		s.recovered[key] = a
	}
	return a, err
}

// step runs one tick of the whole cluster.
func (s *sim) step() {
	s.now++
	for _, c := range s.sc.crashes {
		if c.at == s.now {
			n := s.nodes[c.node%len(s.nodes)]
			if c.holder {
				n = s.currentHolder()
			}
			if n.m == nil || n.byz || n.midCrash || n.crashOnLock {
				continue
			}
			switch {
			case c.locked:
				n.crashOnLock, n.lockDown = true, 1+(c.restart-c.at)%20
				s.tracef("node %d will crash when it locks", n.id)
			case c.wipe && s.canWipe(n):
				s.tracef("node %d CRASH, data dir lost, until %d", n.id, c.restart)
				n.restart, n.wipe, n.m = c.restart, true, nil
			case c.restore:
				s.tracef("node %d CRASH, chain database restored from a backup, until %d", n.id, c.restart)
				n.restart, n.restore, n.m = c.restart, true, nil
			default:
				s.tracef("node %d CRASH (mid-Ready %v) until %d", n.id, c.midReady, c.restart)
				n.restart = c.restart
				if c.midReady {
					n.midCrash = true
				} else {
					n.m = nil
				}
			}
		}
	}
	for _, n := range s.nodes {
		if n.m == nil && n.restart != 0 && n.restart <= s.now {
			n.restart = 0
			s.tracef("node %d RESTART from safety %+v", n.id, n.safety)
			s.start(n)
		}
	}
	for len(s.queue) > 0 && s.queue[0].at <= s.now {
		e := heap.Pop(&s.queue).(envelope)
		n := s.nodes[e.to]
		if n.m == nil {
			continue
		}
		s.learn(n, e.msg)
		_ = n.m.Step(e.msg) // errors are expected: stale, buffered, Byzantine junk
		s.drain(n)
	}
	for _, n := range s.nodes {
		if n.m == nil {
			continue
		}
		n.m.Tick()
		s.drain(n)
		s.build(n)
	}
	if s.now%syncEvery == 0 {
		s.syncAll()
	}
}

// canWipe: a validator that loses its data dir watches before it signs, a
// fault until then; it may happen only while the Byzantine power, the
// watching validators' and its own stay below a third.
func (s *sim) canWipe(n *simNode) bool {
	var faulty uint64
	for _, o := range s.nodes {
		if o.signer == nil {
			continue
		}
		watching := o.m != nil && o.m.Status().SignerWatch > 0 || o.wipe
		if o.byz || watching || o == n {
			v, _ := s.tipSet().Get(o.signer.Address())
			faulty += v.Power
		}
	}
	return 3*faulty < s.tipSet().TotalPower()
}

// currentHolder is the round's key holder as the most advanced honest
// machine sees it.
func (s *sim) currentHolder() *simNode {
	var best *simNode
	for _, n := range s.nodes {
		if n.m != nil && !n.byz && (best == nil || n.height() > best.height()) {
			best = n
		}
	}
	if best == nil {
		return s.nodes[0]
	}
	return s.byAddr[best.m.Status().Holder]
}

// syncAll is the node's block sync: a node behind a reachable peer fetches
// the next blocks with their certificates.
func (s *sim) syncAll() {
	for _, n := range s.nodes {
		if n.m == nil {
			continue
		}
		for _, p := range s.nodes {
			if p == n || p.m == nil || s.partitioned(n.id, p.id) {
				continue
			}
			if p.byz {
				if !n.byz && (s.sc.byz == byzStrong || s.sc.byz == byzThird || s.sc.collude) {
					s.byzServe(n, p)
				}
				continue
			}
			for n.m != nil && len(p.chain) > len(n.chain) {
				if err := n.m.Catchup(p.chain[len(n.chain)]); err != nil {
					if !n.byz {
						s.failf("node %d cannot sync block %d from node %d: %v", n.id, len(n.chain)+1, p.id, err)
					}
					break
				}
				s.drain(n)
			}
		}
	}
}

// run plays the schedule to the end and returns the violations found.
func (s *sim) run() []string {
	for s.now < s.sc.chaosEnd && len(s.violations) == 0 {
		s.step()
	}
	// Healed: every honest node must commit newBlocks beyond the highest
	// honest chain at healing time.
	var target uint64
	for _, n := range s.nodes {
		if !n.byz && uint64(len(n.chain)) > target {
			target = uint64(len(n.chain))
		}
	}
	target += newBlocks
	healed := s.now
	for len(s.violations) == 0 {
		if s.sc.byz == byzThird && s.now-healed > livenessTicks/4 {
			break // a third of the power is Byzantine: safety only
		}
		done := true
		for _, n := range s.nodes {
			if !n.byz && uint64(len(n.chain)) < target {
				done = false
			}
		}
		if done {
			s.stats.healTicks = s.now - healed
			break
		}
		if s.now-healed > livenessTicks {
			var where []string
			for _, n := range s.nodes {
				st := Status{}
				if n.m != nil {
					st = n.m.Status()
				}
				where = append(where, fmt.Sprintf("node %d byz=%v chain=%d h=%d r=%d %s", n.id, n.byz, len(n.chain), st.Height, st.Round, st.Step))
			}
			s.failf("LIVENESS: not every honest node reached height %d within %d ticks of healing: %s", target, livenessTicks, strings.Join(where, "; "))
			break
		}
		s.step()
	}
	s.stats.ticks = s.now
	return s.violations
}
