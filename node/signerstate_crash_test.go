package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
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
	if dir := os.Getenv("SOV_SIGNER_CRASH_CHILD"); dir != "" {
		signerCrashChild(t, dir)
		return
	}
	dir := t.TempDir()
	ack, ready := filepath.Join(dir, "acked"), filepath.Join(dir, "ready")
	var lastAcked uint64
	between := 0 // kills between the valid value's write and the record's
	for round := 0; round < 6; round++ {
		_ = os.Remove(ready)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSignerState$")
		cmd.Env = append(os.Environ(), "SOV_SIGNER_CRASH_CHILD="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatal("the child did not start saving in 30 s")
			}
		}
		time.Sleep(time.Duration(30+round*37) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		raw, _ := os.ReadFile(ack)
		acked, _ := strconv.ParseUint(string(raw), 10, 64)
		s := newSignerState(dir)
		st, exists, err := s.load()
		if err != nil || !exists {
			t.Fatalf("after kill %d: exists %v, %v", round, exists, err)
		}
		if st.Safety.Height < max(acked, lastAcked) {
			t.Fatalf("after kill %d: record at height %d, but height %d was acknowledged", round, st.Safety.Height, max(acked, lastAcked))
		}
		if st.Valid == nil || !namesValid(st.Safety, st.Valid) {
			t.Fatalf("after kill %d: the record at height %d names a valid value that was not read back (%+v)", round, st.Safety.Height, st.Valid)
		}
		if slots, _, _ := newSignerState(dir).valid.read(); len(slots) > 0 && slots[0].seq != s.valid.seq {
			between++
			t.Logf("kill %d fell between the valid value and the record", round)
		}
		// A kill may land inside the ack write and leave it empty.
		lastAcked = max(lastAcked, acked)
	}
	if lastAcked == 0 {
		t.Fatal("the child never acknowledged a save; the test proved nothing")
	}
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
	_ = os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
	for ; ; h++ {
		v := testValidValue(t, h, 0, 2)
		if err := s.save(lockedRecord(v), v); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, "acked"), []byte(strconv.FormatUint(h, 10)), 0o644)
	}
}
