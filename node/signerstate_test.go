package node

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestSignerStateResume: the table of how a validator resumes signing from
// its signer state file, a legacy record in the chain database, and the
// chain's head.
func TestSignerStateResume(t *testing.T) {
	record := func(h uint64) *consensus.SafetyRecord {
		return &consensus.SafetyRecord{Height: h, Round: 1, Step: consensus.StepPrevote, LockedRound: 1, LockedBlock: common.Hash{7}, ValidRound: -1}
	}
	noLegacy := func() ([]byte, []byte, error) { return nil, nil, nil }
	legacyAt := func(h uint64) func() ([]byte, []byte, error) {
		return func() ([]byte, []byte, error) { return record(h).Encode(), nil, nil }
	}
	cases := []struct {
		name       string
		file       *consensus.SafetyRecord // nil: no file
		legacy     func() ([]byte, []byte, error)
		head       uint64
		lost       bool
		wantHeight uint64 // of the record the core starts from
		reason     string
	}{
		{name: "new validator at genesis", head: 0, legacy: noLegacy},
		{name: "file at the head's next height", file: record(11), head: 10, legacy: noLegacy, wantHeight: 11},
		{name: "file at the head (crash between commit and the next vote)", file: record(10), head: 10, legacy: noLegacy, wantHeight: 10},
		{name: "chaindata wiped: file ahead of the chain", file: record(40), head: 0, legacy: noLegacy, wantHeight: 40},
		{name: "chaindata restored from an older backup", file: record(40), head: 25, legacy: noLegacy, wantHeight: 40},
		{name: "signer state lost on a running chain", head: 10, legacy: noLegacy, lost: true, reason: "no signer state"},
		{name: "signer state restored from an older backup", file: record(7), head: 10, legacy: noLegacy, lost: true, wantHeight: 7, reason: "older than the chain"},
		{name: "legacy record in the chain database moves to the file", head: 10, legacy: legacyAt(11), wantHeight: 11},
		{name: "legacy record older than the chain", head: 10, legacy: legacyAt(3), lost: true, wantHeight: 3, reason: "older than the chain"},
		{name: "file wins over a legacy record", file: record(12), head: 10, legacy: legacyAt(3), wantHeight: 12},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignerState(t.TempDir())
			if tc.file != nil {
				if err := s.save(tc.file, nil); err != nil {
					t.Fatal(err)
				}
			}
			st, why, err := s.resume(tc.head, tc.legacy)
			if err != nil {
				t.Fatal(err)
			}
			if st.SignerStateLost != tc.lost {
				t.Fatalf("SignerStateLost = %v, want %v (%s)", st.SignerStateLost, tc.lost, why)
			}
			if !strings.Contains(why, tc.reason) {
				t.Fatalf("reason %q, want it to mention %q", why, tc.reason)
			}
			if st.Safety != nil && st.Safety.Height != tc.wantHeight || st.Safety == nil && tc.wantHeight != 0 {
				t.Fatalf("starts from record %+v, want height %d", st.Safety, tc.wantHeight)
			}
			// Whatever it started from is on disk now, so "missing" next
			// time means lost.
			if tc.lost && tc.file == nil && st.Safety == nil {
				if _, exists, _ := s.load(); exists {
					t.Fatal("a lost signer state was recreated before the watch")
				}
				return
			}
			got, exists, err := s.load()
			if err != nil || !exists {
				t.Fatalf("after resume: exists %v, %v", exists, err)
			}
			if got.Safety.Height != tc.wantHeight {
				t.Fatalf("file holds height %d, want %d", got.Safety.Height, tc.wantHeight)
			}
		})
	}
}

// TestSignerStateDamaged: a signer state with no intact slot stops the
// start with the directory named, instead of signing as if nothing had
// been signed.
func TestSignerStateDamaged(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, signerSlotA), []byte(`{"height":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.resume(10, func() ([]byte, []byte, error) { return nil, nil, nil })
	if err == nil || !strings.Contains(err.Error(), s.dir) {
		t.Fatalf("damaged signer state: %v", err)
	}
}

// TestSignerStateSlots: records alternate between two slots; the newest
// intact one is read back; a write torn by a crash (the slot cut short, or
// a byte changed) falls back to the slot before it, which is the last
// record any message left the node under; the valid value survives saves of
// the record alone; no temporary files are left.
func TestSignerStateSlots(t *testing.T) {
	dir := t.TempDir()
	save := func(s *signerState, h uint64) {
		t.Helper()
		if err := s.save(&consensus.SafetyRecord{Height: h, LockedRound: -1, ValidRound: -1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	loadHeight := func() uint64 {
		t.Helper()
		st, exists, err := newSignerState(dir).load()
		if err != nil || !exists {
			t.Fatalf("load: exists %v, %v", exists, err)
		}
		return st.Safety.Height
	}
	s := newSignerState(dir)
	for h := uint64(1); h <= 3; h++ {
		save(s, h)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != signerSlotA+","+signerSlotB {
		t.Fatalf("signer dir holds %v", names)
	}
	if h := loadHeight(); h != 3 {
		t.Fatalf("newest record at height %d, want 3", h)
	}
	newest := s.slotPath(s.seq)
	raw, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	for name, torn := range map[string][]byte{
		"cut short":      raw[:len(raw)/2],
		"empty":          nil,
		"a byte changed": []byte(strings.Replace(string(raw), `"height":3`, `"height":4`, 1)),
	} {
		if err := os.WriteFile(newest, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		if h := loadHeight(); h != 2 {
			t.Fatalf("%s: newest intact record at height %d, want 2", name, h)
		}
	}
	// Resumed from the slot before, the next write replaces the torn one.
	r := newSignerState(dir)
	if _, _, err := r.load(); err != nil {
		t.Fatal(err)
	}
	save(r, 5)
	if h := loadHeight(); h != 5 {
		t.Fatalf("after resuming: height %d, want 5", h)
	}
}

// TestSignerStateLegacyFile: a record in the single file written before the
// slots is read when there are no slots, and slots win over it.
func TestSignerStateLegacyFile(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	legacy := consensus.SafetyRecord{Height: 9, LockedRound: -1, ValidRound: -1}
	if err := os.WriteFile(filepath.Join(s.dir, signerLegacyFile), legacy.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, exists, err := s.load()
	if err != nil || !exists || st.Safety.Height != 9 {
		t.Fatalf("legacy file: %+v %v %v", st.Safety, exists, err)
	}
	if err := s.save(&consensus.SafetyRecord{Height: 10, LockedRound: -1, ValidRound: -1}, nil); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := newSignerState(dir).load(); st.Safety.Height != 10 {
		t.Fatalf("slot after legacy: height %d, want 10", st.Safety.Height)
	}
}

// BenchmarkSignerStateSave compares the slot write on a vote's path with
// replacing the whole file (temporary file, fsync, rename, directory
// fsync), in one run, on this machine's disk; valid is a valid value alone
// (a block of 47 transfers, as at 1,000 tx/s on the 4-validator devnet,
// and 3 prevotes) and both is what a validator writes once a height, when
// it locks: the valid value and the record naming it.
func BenchmarkSignerStateSave(b *testing.B) {
	rec := consensus.SafetyRecord{Height: 100, Round: 1, Step: consensus.StepPrevote, LockedRound: -1, ValidRound: -1}
	valid := testValidValue(b, 100, 0, 47)
	b.Run("valid", func(b *testing.B) {
		s := newSignerState(b.TempDir())
		defer reportCPU(b)()
		for b.Loop() {
			if err := s.save(nil, valid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		s := newSignerState(b.TempDir())
		locked := rec
		locked.LockedRound, locked.LockedBlock, locked.ValidRound, locked.ValidBlock = 0, valid.Block.Hash(), 0, valid.Block.Hash()
		defer reportCPU(b)()
		for b.Loop() {
			if err := s.save(&locked, valid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slots", func(b *testing.B) {
		s := newSignerState(b.TempDir())
		defer reportCPU(b)()
		for b.Loop() {
			if err := s.save(&rec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replace", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "state.json")
		defer reportCPU(b)()
		for b.Loop() {
			if err := writeFileSynced(path, rec.Encode()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU, deferred before a benchmark's loop, reports the process's CPU
// time (user and system) per operation beside the wall time: the issue is
// the CPU a validator spends, and a write's wall time is mostly waiting for
// the disk.
func reportCPU(b *testing.B) func() {
	start := cpuTime(b)
	return func() { b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// testValidValue is a valid value at (height, round): a block of n signed
// transfers and prevotes for it from three validators.
func testValidValue(tb testing.TB, height uint64, round uint32, n int) *consensus.ValidValue {
	tb.Helper()
	g := devnet.DefaultGenesis(4)
	from, to := devnet.Key(devnet.Seed, "customer", 0), devnet.Address(devnet.Seed, "customer", 1)
	blk := &chain.Block{Header: &chain.Header{ChainID: g.ChainID, Height: height, Round: round, Proposer: devnet.Address(devnet.Seed, "validator", 0)}}
	for i := range n {
		tx := chain.NewTx(g.ChainID, uint64(i), chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if err := tx.Sign(from); err != nil {
			tb.Fatal(err)
		}
		blk.Txs = append(blk.Txs, tx)
	}
	v := &consensus.ValidValue{Round: round, Block: blk}
	for i := range 3 {
		pv := &consensus.Vote{Type: chain.VotePrevote, Height: height, Round: round, BlockHash: blk.Hash(), Validator: devnet.Address(devnet.Seed, "validator", i)}
		sig, err := crypto.Sign(pv.SignHash(g.ChainID).Bytes(), devnet.Key(devnet.Seed, "validator", i))
		if err != nil {
			tb.Fatal(err)
		}
		pv.Sig = sig
		v.Prevotes = append(v.Prevotes, pv)
	}
	return v
}
