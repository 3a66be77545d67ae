package node

import (
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/internal/crashtest"
)

// TestCrashSignerState kills (kill -9) a process that saves, height after
// height, a valid value and the record locked on it, as a validator does
// when it locks, and checks after each kill that the signer state loads,
// has lost no acknowledged save, and that the valid value read back is the
// one the record names, wherever the kill fell: between the valid value's
// write and the record's the newer valid slot names nothing the record
// knows. (A kill leaves the page cache in place; torn slots, which a power
// loss leaves, are TestSignerStateSlots'.)
func TestCrashSignerState(t *testing.T) {
	if dir := crashtest.Child("SOV_SIGNER_CRASH_CHILD"); dir != "" {
		signerCrashChild(t, dir)
		return
	}
	dir := t.TempDir()
	between := 0 // kills between the valid value's write and the record's
	crashtest.Kill(t, "TestCrashSignerState", "SOV_SIGNER_CRASH_CHILD", dir, 6,
		func(round int) time.Duration { return time.Duration(30+round*37) * time.Millisecond },
		func(round int, acked uint64) {
			s := newSignerState(dir)
			st, exists, err := s.load()
			if err != nil || !exists {
				t.Fatalf("after kill %d: exists %v, %v", round, exists, err)
			}
			if st.Safety.Height < acked {
				t.Fatalf("after kill %d: record at height %d, but height %d was acknowledged", round, st.Safety.Height, acked)
			}
			if st.Valid == nil || !namesValid(st.Safety, st.Valid) {
				t.Fatalf("after kill %d: the record at height %d names a valid value that was not read back (%+v)", round, st.Safety.Height, st.Valid)
			}
			if slots, _, _ := newSignerState(dir).valid.read(); len(slots) > 0 && slots[0].seq != s.valid.seq {
				between++
				t.Logf("kill %d fell between the valid value and the record", round)
			}
		})
	t.Logf("%d of the kills fell between the valid value and the record", between)
}

// signerCrashChild saves forever, from the height after the record on
// disk, acknowledging each height once save returned.
func signerCrashChild(t *testing.T, dir string) {
	s := newSignerState(dir)
	st, _, err := s.load()
	if err != nil {
		t.Fatal(err)
	}
	h := uint64(1)
	if st.Safety != nil {
		h = st.Safety.Height + 1
	}
	crashtest.Ready(dir)
	for ; ; h++ {
		v := testValidValue(t, h, 0, 2)
		if err := s.save(lockedRecord(v), v); err != nil {
			t.Fatal(err)
		}
		crashtest.Ack(dir, h)
	}
}
