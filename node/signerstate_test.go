package node

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
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

// TestSignerStateSlots: records and valid values each alternate between two
// slots; the newest intact one is read back; a write torn by a crash (the
// slot cut short, a new slot half written over the old one in place, or a
// byte changed) falls back to the slot before it, which is the last value
// any message left the node under; no temporary files are left.
func TestSignerStateSlots(t *testing.T) {
	kinds := []struct {
		name   string
		pair   func(*signerState) *slotPair
		save   func(t *testing.T, s *signerState, h uint64)
		height func(consensus.StartState) uint64
		// changeByte changes one byte of the value in a slot, keeping the
		// JSON well formed, so that only the checksum can tell.
		changeByte func(raw []byte) []byte
	}{
		{
			name: "record",
			pair: func(s *signerState) *slotPair { return &s.record },
			save: func(t *testing.T, s *signerState, h uint64) {
				if err := s.save(&consensus.SafetyRecord{Height: h, LockedRound: -1, ValidRound: -1}, nil); err != nil {
					t.Fatal(err)
				}
			},
			height: func(st consensus.StartState) uint64 { return st.Safety.Height },
			changeByte: func(raw []byte) []byte {
				return []byte(strings.Replace(string(raw), `"height":3`, `"height":4`, 1))
			},
		},
		{
			name: "valid",
			pair: func(s *signerState) *slotPair { return &s.valid },
			save: func(t *testing.T, s *signerState, h uint64) {
				v := testValidValue(t, h, 0, 2)
				if err := s.save(lockedRecord(v), v); err != nil {
					t.Fatal(err)
				}
			},
			height: func(st consensus.StartState) uint64 { return st.Valid.Block.Header.Height },
			changeByte: func(raw []byte) []byte {
				i := bytes.Index(raw, []byte(`"record":"`)) + 40
				changed := bytes.Clone(raw)
				changed[i] = map[bool]byte{true: 'B', false: 'A'}[raw[i] == 'A']
				return changed
			},
		},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			dir := t.TempDir()
			loadHeight := func() uint64 {
				t.Helper()
				st, exists, err := newSignerState(dir).load()
				if err != nil || !exists {
					t.Fatalf("load: exists %v, %v", exists, err)
				}
				return kind.height(st)
			}
			s := newSignerState(dir)
			kind.save(t, s, 1)
			kind.save(t, s, 2)
			// What the slot of the third write held before it: a tear in
			// place leaves part of it.
			before, err := os.ReadFile(kind.pair(s).path(3))
			if err != nil {
				t.Fatal(err)
			}
			kind.save(t, s, 3)
			entries, err := os.ReadDir(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), "tmp") {
					t.Fatalf("signer dir holds %s", e.Name())
				}
			}
			if h := loadHeight(); h != 3 {
				t.Fatalf("newest at height %d, want 3", h)
			}
			newest := kind.pair(s).path(3)
			raw, err := os.ReadFile(newest)
			if err != nil {
				t.Fatal(err)
			}
			frame := bytes.TrimRight(raw, " ")
			// A tear in place: the new header and the start of the value
			// over the rest of the old slot.
			cut := bytes.Index(frame, []byte(`"record":`)) + 12
			if len(before) != len(raw) {
				t.Fatalf("slot size went from %d to %d", len(before), len(raw))
			}
			for name, torn := range map[string][]byte{
				"cut short":             frame[:len(frame)/2],
				"empty":                 nil,
				"half written in place": append(bytes.Clone(frame[:cut]), before[cut:]...),
				"a byte changed":        kind.changeByte(raw),
			} {
				if err := os.WriteFile(newest, torn, 0o600); err != nil {
					t.Fatal(err)
				}
				if h := loadHeight(); h != 2 {
					t.Fatalf("%s: newest intact at height %d, want 2", name, h)
				}
			}
			// Resumed from the slot before, the next write replaces the torn one.
			r := newSignerState(dir)
			if _, _, err := r.load(); err != nil {
				t.Fatal(err)
			}
			kind.save(t, r, 5)
			if h := loadHeight(); h != 5 {
				t.Fatalf("after resuming: height %d, want 5", h)
			}
		})
	}
}

// TestSignerStateValidRoundTrip: the valid value comes back as written,
// with the record naming it, across values of different sizes: slots keep
// their size while a value fits, grow by whole blocks, and are cut back
// after a value far larger than the ones that follow.
func TestSignerStateValidRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	for i, n := range []int{40, 2, 40, 300, 300, 1, 1} {
		h := uint64(10 + i)
		v := testValidValue(t, h, uint32(i%3), n)
		if err := s.save(lockedRecord(v), v); err != nil {
			t.Fatal(err)
		}
		st, exists, err := newSignerState(dir).load()
		if err != nil || !exists {
			t.Fatalf("load: exists %v, %v", exists, err)
		}
		if st.Safety.Height != h || st.Valid == nil || !bytes.Equal(st.Valid.Encode(), v.Encode()) {
			t.Fatalf("%d transfers at height %d: read back record %+v and a different valid value", n, h, st.Safety)
		}
		fi, err := os.Stat(s.valid.path(s.valid.seq))
		if err != nil {
			t.Fatal(err)
		}
		if need := int64(len(v.Encode())); fi.Size()%slotBlock != 0 || fi.Size() < need || fi.Size() > 8*need+slotBlock {
			t.Fatalf("%d transfers (%d bytes): valid slot of %d bytes", n, need, fi.Size())
		}
	}
}

// TestSignerStateValidCrashOrder: a crash after the valid value was written
// and before the record naming it leaves the record before, which names the
// previous valid value; that one, in the other slot, is what load returns,
// and the next write goes over the slot the record does not name.
func TestSignerStateValidCrashOrder(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	v1, v2, v3 := testValidValue(t, 7, 0, 2), testValidValue(t, 8, 0, 2), testValidValue(t, 8, 1, 3)
	if err := s.save(lockedRecord(v1), v1); err != nil {
		t.Fatal(err)
	}
	if err := s.save(nil, v2); err != nil { // the crash comes before the record
		t.Fatal(err)
	}
	r := newSignerState(dir)
	st, _, err := r.load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Safety.Height != 7 || st.Valid == nil || st.Valid.Block.Hash() != v1.Block.Hash() {
		t.Fatalf("after the crash: record at %d with valid value %+v, want the one of height 7", st.Safety.Height, st.Valid)
	}
	// The restarted node writes a new valid value and crashes again before
	// the record: v1 must still be there.
	if err := r.save(nil, v3); err != nil {
		t.Fatal(err)
	}
	if st, _, err := newSignerState(dir).load(); err != nil || st.Valid.Block.Hash() != v1.Block.Hash() {
		t.Fatalf("after the second crash: %v, valid value of height %d round %d, want height 7", err, st.Valid.Block.Header.Height, st.Valid.Round)
	}
}

// TestSignerStateLegacyValid: a valid value in the valid.rlp of older
// versions is read when there are no valid slots, and slots win over it.
func TestSignerStateLegacyValid(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	old, next := testValidValue(t, 4, 0, 2), testValidValue(t, 5, 0, 2)
	if err := s.save(lockedRecord(old), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, signerValidFile), old.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, exists, err := newSignerState(dir).load()
	if err != nil || !exists || st.Valid == nil || st.Valid.Block.Hash() != old.Block.Hash() {
		t.Fatalf("legacy valid value: %+v %v %v", st.Valid, exists, err)
	}
	if err := s.save(lockedRecord(next), next); err != nil {
		t.Fatal(err)
	}
	if st, _, err := newSignerState(dir).load(); err != nil || st.Valid.Block.Hash() != next.Block.Hash() {
		t.Fatalf("valid slot after legacy: %v, height %d", err, st.Valid.Block.Header.Height)
	}
}

// TestSignerStateValidDamaged: valid slots that exist but none intact stop
// the start with the directory named, like damaged record slots.
func TestSignerStateValidDamaged(t *testing.T) {
	dir := t.TempDir()
	s := newSignerState(dir)
	v := testValidValue(t, 3, 0, 1)
	if err := s.save(lockedRecord(v), v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.valid.path(s.valid.seq), []byte(`{"seq":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := newSignerState(dir).resume(3, func() ([]byte, []byte, error) { return nil, nil, nil })
	if err == nil || !strings.Contains(err.Error(), s.dir) {
		t.Fatalf("damaged valid slots: %v", err)
	}
}

// lockedRecord is the record of a validator locked on v.
func lockedRecord(v *consensus.ValidValue) *consensus.SafetyRecord {
	h := v.Block.Hash()
	r := int32(v.Round)
	return &consensus.SafetyRecord{Height: v.Block.Header.Height, Round: v.Round, Step: consensus.StepPrecommit, LockedRound: r, LockedBlock: h, ValidRound: r, ValidBlock: h}
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
// it locks: the valid value and the record naming it. Beside the wall time
// it reports the process's CPU time (user and system) per save: the issue
// is the CPU a validator spends, and a write's wall time is mostly waiting
// for the disk.
func BenchmarkSignerStateSave(b *testing.B) {
	rec := consensus.SafetyRecord{Height: 100, Round: 1, Step: consensus.StepPrevote, LockedRound: -1, ValidRound: -1}
	valid := testValidValue(b, 100, 0, 47)
	locked := lockedRecord(valid)
	for _, bc := range []struct {
		name  string
		pause time.Duration // between saves, off the clock
		save  func(s *signerState) error
	}{
		{name: "valid", save: func(s *signerState) error { return s.save(nil, valid) }},
		{name: "both", save: func(s *signerState) error { return s.save(locked, valid) }},
		// A validator writes a few times a block, tens of milliseconds
		// apart, so every write changes the files' modification time (kept
		// to a few milliseconds), which fsync must journal; back to back,
		// most writes leave it as it was. (fdatasync, which need not
		// journal it, showed no gain here either, so the slots use fsync.)
		{name: "both-paced", pause: 5 * time.Millisecond, save: func(s *signerState) error { return s.save(locked, valid) }},
		{name: "slots", save: func(s *signerState) error { return s.save(&rec, nil) }},
		{name: "replace", save: func(s *signerState) error { return writeFileSynced(filepath.Join(s.dir, "state.json"), rec.Encode()) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newSignerState(b.TempDir())
			if err := os.MkdirAll(s.dir, 0o700); err != nil {
				b.Fatal(err)
			}
			var cpu time.Duration // around the saves only: the runtime spins in pauses
			for b.Loop() {
				if bc.pause > 0 {
					b.StopTimer()
					time.Sleep(bc.pause)
					b.StartTimer()
				}
				start := cpuTime(b)
				if err := bc.save(s); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime(b) - start
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's CPU time so far, user and system.
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
	const chainID = "sovereign-devnet"
	keys := testValidKeys()
	blk := &chain.Block{Header: &chain.Header{ChainID: chainID, Height: height, Round: round, Proposer: crypto.PubkeyToAddress(keys[1].PublicKey)}}
	to := crypto.PubkeyToAddress(keys[1].PublicKey)
	for i := range n {
		tx := chain.NewTx(chainID, uint64(i), chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if err := tx.Sign(keys[0]); err != nil {
			tb.Fatal(err)
		}
		blk.Txs = append(blk.Txs, tx)
	}
	v := &consensus.ValidValue{Round: round, Block: blk}
	for _, key := range keys[1:] {
		pv := &consensus.Vote{Type: chain.VotePrevote, Height: height, Round: round, BlockHash: blk.Hash(), Validator: crypto.PubkeyToAddress(key.PublicKey)}
		sig, err := crypto.Sign(pv.SignHash(chainID).Bytes(), key)
		if err != nil {
			tb.Fatal(err)
		}
		pv.Sig = sig
		v.Prevotes = append(v.Prevotes, pv)
	}
	return v
}

// testValidKeys are a customer's key and three validators'.
var testValidKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
	keys := []*ecdsa.PrivateKey{devnet.Key(devnet.Seed, "customer", 0)}
	for i := range 3 {
		keys = append(keys, devnet.Key(devnet.Seed, "validator", i))
	}
	return keys
})

// TestSignerSlotEncoding: a slot is written as json.Marshal would write it,
// so that older versions and any JSON tool read it, for any record and
// valid value.
func TestSignerSlotEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rec := consensus.SafetyRecord{
			Height:      rapid.Uint64().Draw(t, "height"),
			Round:       rapid.Uint32().Draw(t, "round"),
			Step:        consensus.RoundStep(rapid.IntRange(0, 3).Draw(t, "step")),
			LockedRound: rapid.Int32Min(-1).Draw(t, "locked"),
			ValidRound:  rapid.Int32Min(-1).Draw(t, "valid"),
		}
		copy(rec.LockedBlock[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "block"))
		seq := rapid.Uint64().Draw(t, "seq")
		v := &consensus.ValidValue{Round: rec.Round, Block: &chain.Block{Header: &chain.Header{ChainID: rapid.String().Draw(t, "chain"), Height: rec.Height}}}
		validJSON, err := json.Marshal(v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if got := appendValid(nil, v); !bytes.Equal(got, validJSON) {
			t.Fatalf("valid payload %s, json.Marshal %s", got, validJSON)
		}
		for _, payload := range [][]byte{rec.Encode(), validJSON} {
			want, err := json.Marshal(signerSlot{Seq: seq, CRC32: crc32.ChecksumIEEE(payload), Record: payload})
			if err != nil {
				t.Fatal(err)
			}
			if got := appendSlot(nil, seq, payload); !bytes.Equal(got, want) {
				t.Fatalf("slot %s, json.Marshal %s", got, want)
			}
		}
	})
}
