package consensus

import (
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestSingleValidator: with n = 1 the node always holds the sovereign key;
// its proposal, prevote and precommit make quorum at once and every height
// commits in round 0 with a one-signature certificate.
func TestSingleValidator(t *testing.T) {
	signers, vs := testValidators(1)
	self := signers[0].Address()
	m := mustNew(t, testConfig(vs, signers[0]), StartState{Height: 1, Seed: genesisSeed})

	var (
		committed []Commit
		safety    *SafetyRecord
		seed      = genesisSeed
		ticks     int
	)
	for len(committed) < 50 {
		if !m.HasReady() {
			m.Tick()
			if ticks++; ticks > 10 {
				t.Fatalf("no progress after %d ticks at height %d", ticks, m.Status().Height)
			}
			continue
		}
		rd := m.Ready()
		if rd.Safety != nil {
			safety = rd.Safety
		}
		for _, c := range rd.Committed {
			h := uint64(len(committed) + 1)
			if c.Block.Height() != h {
				t.Fatalf("committed height %d, want %d", c.Block.Height(), h)
			}
			if c.Block.Header.Round != 0 || c.Cert.Round != 0 {
				t.Fatalf("height %d committed in round %d", h, c.Cert.Round)
			}
			if err := c.Cert.Verify(testChainID, vs); err != nil {
				t.Fatalf("height %d: certificate: %v", h, err)
			}
			if c.Cert.BlockHash != c.Block.Hash() || c.Cert.Height != h || len(c.Cert.Sigs) != 1 {
				t.Fatalf("height %d: certificate %+v does not match block", h, c.Cert)
			}
			if got := vs.Holder(seed, 0); c.Block.Header.Proposer != got || got != self {
				t.Fatalf("height %d proposer %s, holder %s", h, c.Block.Header.Proposer, got)
			}
			if h > 1 && c.Block.Header.LastCommit.BlockHash != committed[h-2].Block.Hash() {
				t.Fatalf("height %d does not carry its parent's certificate", h)
			}
			seed = chain.NextSeed(seed, c.Block.Header.Reveal)
			committed = append(committed, c)
		}
		m.Advance(rd)
		if rd.Propose != nil && len(committed) < 50 {
			if rd.Propose.Seed != seed || rd.Propose.Height != uint64(len(committed)+1) {
				t.Fatalf("propose request %+v, want height %d seed %s", rd.Propose, len(committed)+1, seed)
			}
			if err := m.Propose(buildBlock(rd.Propose, self, 0)); err != nil {
				t.Fatalf("Propose: %v", err)
			}
		}
	}
	if st := m.Status(); st.Height != 51 || st.Seed != seed || st.Holder != self {
		t.Fatalf("status %+v, want height 51 and seed %s", st, seed)
	}
	if safety == nil || safety.Height != 50 || safety.Step != StepPrecommit {
		t.Fatalf("safety record %+v, want height 50 step precommit", safety)
	}
	if ticks != 0 {
		t.Errorf("n=1 needed %d ticks; it should never wait", ticks)
	}
}

// TestSingleValidatorRestart: a validator restarted from its safety record
// and last certificate carries on; one restarted right after signing a
// proposal refuses to sign another at that step (CheckHRS) and moves to
// the next round instead.
func TestSingleValidatorRestart(t *testing.T) {
	signers, vs := testValidators(1)
	self := signers[0].Address()
	cfg := testConfig(vs, signers[0])
	var (
		last   Commit
		safety SafetyRecord
		seed   = genesisSeed
	)
	// run drives m until block `until` is committed; it proposes only
	// while fewer blocks are committed.
	run := func(m *Machine, until uint64) {
		for i := 0; last.Block == nil || last.Block.Height() < until; i++ {
			if i > 10000 {
				t.Fatalf("stuck at %+v", m.Status())
			}
			if !m.HasReady() {
				m.Tick()
				continue
			}
			rd := m.Ready()
			if rd.Safety != nil {
				safety = *rd.Safety
			}
			for _, c := range rd.Committed {
				last = c
				seed = chain.NextSeed(seed, c.Block.Header.Reveal)
			}
			m.Advance(rd)
			if rd.Propose != nil && (last.Block == nil || last.Block.Height() < until) {
				if err := m.Propose(buildBlock(rd.Propose, self, 0)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run(mustNew(t, cfg, StartState{Height: 1, Seed: genesisSeed}), 5)
	// Crash after height 5; restart from disk.
	m := mustNew(t, cfg, StartState{Height: 6, Seed: seed, LastCommit: last.Cert, Safety: &safety})
	if !m.HasReady() || m.Ready().Propose == nil {
		t.Fatalf("restarted holder was not asked to propose height 6")
	}
	// Suppose it proposed at (6, 0), synced that, and crashed before the
	// proposal left. It must not be asked to propose at (6, 0) again; the
	// round times out and round 1 (same holder) decides.
	rec := SafetyRecord{Height: 6, Round: 0, Step: StepPropose, LockedRound: -1, ValidRound: -1}
	m = mustNew(t, cfg, StartState{Height: 6, Seed: seed, LastCommit: last.Cert, Safety: &rec})
	if rd := m.Ready(); rd.Propose != nil {
		t.Fatalf("restart after signing a proposal at round 0: asked again %+v", rd.Propose)
	}
	if err := m.Propose(buildBlock(&ProposeRequest{Height: 6, LastCommit: last.Cert}, self, 1)); err == nil {
		t.Fatalf("Propose at an already signed step succeeded")
	}
	run(m, 8)
	if last.Cert.Height != 8 {
		t.Fatalf("last certificate height %d", last.Cert.Height)
	}

	// Crash after the safety record of the decision at height 9 was synced
	// but before block 9 was stored: the node comes back locked on it and
	// must commit that very block again, not ask for a new one.
	before, beforeSeed, beforeSafety := last, seed, safety
	m = mustNew(t, cfg, StartState{Height: 9, Seed: seed, LastCommit: last.Cert, Safety: &safety})
	var valid *ValidValue
	for valid == nil {
		if !m.HasReady() {
			m.Tick()
			continue
		}
		rd := m.Ready()
		valid = rd.Valid
		if rd.Safety != nil {
			safety = *rd.Safety
		}
		m.Advance(rd)
		if rd.Propose != nil {
			if err := m.Propose(buildBlock(rd.Propose, self, 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if safety.LockedBlock != valid.Block.Hash() || safety.Height != 9 {
		t.Fatalf("safety %+v does not lock the valid block %s", safety, valid.Block.Hash())
	}
	valid, err := DecodeValidValue(valid.Encode())
	if err != nil {
		t.Fatal(err)
	}
	last, seed = before, beforeSeed
	_ = beforeSafety
	m = mustNew(t, cfg, StartState{Height: 9, Seed: seed, LastCommit: last.Cert, Safety: &safety, Valid: valid})
	run(m, 9)
	if last.Block.Hash() != valid.Block.Hash() {
		t.Fatalf("after restart committed %s, want the locked block %s", last.Block.Hash(), valid.Block.Hash())
	}
	if last.Cert.Round != 0 {
		t.Fatalf("recommitted in round %d, want 0 (its own precommit is in the safety record)", last.Cert.Round)
	}
}

// TestSingleValidatorObserver: an observer (no signer) never signs.
func TestObserverNeverSigns(t *testing.T) {
	_, vs := testValidators(1)
	m := mustNew(t, testConfig(vs, nil), StartState{Height: 1, Seed: genesisSeed})
	for i := 0; i < 500; i++ {
		m.Tick()
		if m.HasReady() {
			rd := m.Ready()
			if len(rd.Messages) > 0 || rd.Propose != nil {
				t.Fatalf("observer produced output %+v", rd)
			}
			m.Advance(rd)
		}
	}
}
