package consensus

import (
	"math/rand"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Set changes in the simulation: the validator set changes mid-run as
// governance changes it on a real chain. A validator that is not in the
// genesis set (the last key) runs from the start, following as an
// observer, and joins at height joinAt; an honest genesis validator leaves
// at leaveAt and keeps running, following as an observer. Every node's
// Config.ValidatorsAt answers from the same plan, as every node's ledger
// answers from the same chain. The checker then holds each height to its
// own set: certificates, key holders, proofs of lock, the round rules.

// setPlan is the schedule of set changes.
type setPlan struct {
	joinAt, leaveAt uint64
}

// setFrom is a validator set in force from height from on.
type setFrom struct {
	from uint64
	vs   *chain.ValidatorSet
}

// newSetChangeSchedule is newSchedule(seed) with a set change: one key
// more, which joins, and a leaver chosen by newSim. Its own random source
// leaves the base schedule as newSchedule makes it.
func newSetChangeSchedule(seed int64) schedule {
	sc := newSchedule(seed)
	rng := rand.New(rand.NewSource(seed ^ 0x5e75))
	sc.powers = append(sc.powers, uint64(1+rng.Intn(2)))
	join := uint64(2 + rng.Intn(4))
	sc.sets = &setPlan{joinAt: join, leaveAt: join + uint64(1+rng.Intn(4))}
	for i := range sc.parts { // the joiner's side of each partition
		sc.parts[i].side = append(sc.parts[i].side, rng.Intn(2))
	}
	return sc
}

// planSets fixes the sets of the plan: the genesis set, then the joiner
// added at joinAt, then an honest genesis validator removed at leaveAt,
// one whose leaving keeps the Byzantine power within what the mode allows.
func (s *sim) planSets(signers []*KeySigner) {
	if s.sc.sets == nil {
		return
	}
	joiner := signers[s.sc.n] // newSim runs a node for it; it is never Byzantine
	all := chain.NewValidatorSet(append(append([]chain.Validator(nil), s.vs.Validators...), validatorOf(joiner, s.sc.powers)))
	s.sets = []setFrom{{1, s.vs}, {s.sc.sets.joinAt, all}}
	var byzPower uint64
	for _, n := range s.nodes {
		if n != nil && n.byz {
			v, _ := all.Get(n.signer.Address())
			byzPower += v.Power
		}
	}
	for _, v := range s.vs.Validators {
		n := s.byAddr[v.Address]
		left := all.TotalPower() - v.Power
		if n.byz || (s.sc.byz == byzThird && 3*byzPower > left) || (s.sc.byz != byzThird && 3*byzPower >= left) {
			continue
		}
		var rest []chain.Validator
		for _, w := range all.Validators {
			if w.Address != v.Address {
				rest = append(rest, w)
			}
		}
		s.sets = append(s.sets, setFrom{s.sc.sets.leaveAt, chain.NewValidatorSet(rest)})
		s.leaver = n
		return
	}
}

// validatorOf is the joiner's entry: its power is the last of powers.
func validatorOf(k *KeySigner, powers []uint64) chain.Validator {
	_, vs := testValidatorsWeighted(powers)
	v, _ := vs.Get(k.Address())
	return v
}

// setAt is the set in force at height h.
func (s *sim) setAt(h uint64) *chain.ValidatorSet {
	vs := s.vs
	for _, sf := range s.sets {
		if sf.from <= h {
			vs = sf.vs
		}
	}
	return vs
}

// tipSet is the set of the height the most advanced honest node decides.
func (s *sim) tipSet() *chain.ValidatorSet { return s.setAt(uint64(len(s.decided)) + 1) }

// checkSetChange: the joiner signed a certificate at or after joinAt, and
// nobody outside a height's set signs its certificate (VerifyWith already
// refuses those; this counts the joiner's participation).
func (s *sim) noteCertSigners(h uint64, c *chain.Certificate) {
	if s.sc.sets == nil || h < s.sc.sets.joinAt {
		return
	}
	joiner := s.nodes[s.sc.n].signer.Address()
	for _, cs := range c.Sigs {
		if cs.Validator == joiner {
			s.stats.joinerSigned++
		}
		if s.leaver != nil && h >= s.sc.sets.leaveAt && cs.Validator == s.leaver.signer.Address() {
			s.failf("SET CHANGE: the validator removed at %d signed the certificate of %d", s.sc.sets.leaveAt, h)
		}
	}
}

// runPast goes on, healed, until every honest node has committed height
// target (past both changes), or reports a liveness failure.
func (s *sim) runPast(target uint64) []string {
	start := s.now
	for len(s.violations) == 0 {
		done := true
		for _, n := range s.nodes {
			if !n.byz && uint64(len(n.chain)) < target {
				done = false
			}
		}
		if done {
			break
		}
		if s.now-start > livenessTicks {
			s.failf("LIVENESS: honest nodes did not reach height %d, past the set changes, within %d ticks", target, livenessTicks)
			break
		}
		s.step()
	}
	return s.violations
}

// TestSimulationSetChanges runs seeded schedules (SOV_SIM_SET_SCHEDULES,
// default 200) in which a validator joins and another leaves mid-run,
// under the same faults and Byzantine behaviour as TestSimulation: every
// height is decided safely by its own set, the chain stays live across
// both changes, and the joiner takes part (signs certificates).
func TestSimulationSetChanges(t *testing.T) {
	count := envInt("SOV_SIM_SET_SCHEDULES", 200)
	if testing.Short() {
		count = 50
	}
	joined, left, proposalEvidence := 0, 0, uint64(0)
	for i := 0; i < count; i++ {
		sc := newSetChangeSchedule(int64(i + 1))
		s := newSim(sc)
		viol := s.run()
		if len(viol) == 0 {
			viol = s.runPast(sc.sets.leaveAt + 3)
		}
		for _, v := range viol {
			t.Errorf("schedule %s sets=%+v: %s\n  replay: SOV_SIM_SET_SCHEDULES=%d go test ./consensus -run TestSimulationSetChanges", sc, *sc.sets, v, i+1)
		}
		if s.stats.joinerSigned > 0 {
			joined++
		}
		if s.leaver != nil {
			left++
		}
		proposalEvidence += s.stats.proposalEvidence
	}
	t.Logf("%d schedules: the joiner signed certificates in %d, a validator left in %d; %d proposal equivocations reported as evidence", count, joined, left, proposalEvidence)
	if proposalEvidence == 0 {
		t.Error("no equivocating key holder's two proposals were reported as evidence")
	}
	if joined < count*9/10 {
		t.Errorf("the joining validator signed certificates in only %d of %d schedules", joined, count)
	}
	if left < count/2 {
		t.Errorf("a validator left in only %d of %d schedules", left, count)
	}
}
