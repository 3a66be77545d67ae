package ledger

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestCrashConsistency kills a process that is committing blocks at random
// moments (kill -9) and checks, after each kill, that the store reopens with
// a consistent chain and state and has lost no acknowledged block.
func TestCrashConsistency(t *testing.T) {
	if os.Getenv("SOV_CRASH_CHILD") != "" {
		crashChild(t)
		return
	}
	dir := t.TempDir()
	var lastAcked uint64
	for round := 0; round < 5; round++ {
		ack := filepath.Join(dir, "acked")
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashConsistency$")
		cmd.Env = append(os.Environ(), "SOV_CRASH_CHILD="+dir)
		ready := filepath.Join(dir, "ready")
		_ = os.Remove(ready)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill while blocks are committed, not while the child is still
		// creating the database: goleveldb writes its CURRENT file after
		// the first MANIFEST, and a store killed between the two is refused
		// as damaged, which is not what this test is about.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the child did not open its store in 30 s")
			}
		}
		time.Sleep(time.Duration(50+round*137) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		raw, _ := os.ReadFile(ack)
		acked, _ := strconv.ParseUint(string(raw), 10, 64)
		f := openFixture(t, dir, 2)
		if err := f.ledger.CheckConsistency(); err != nil {
			t.Fatalf("after kill %d: %v", round, err)
		}
		head := f.ledger.Head().Height
		if head < acked {
			t.Fatalf("after kill %d: head %d, but block %d was acknowledged final", round, head, acked)
		}
		if head < lastAcked {
			t.Fatalf("head went back from %d to %d", lastAcked, head)
		}
		// A kill may land inside the child's write of the ack file and leave
		// it empty; what was acknowledged before still counts.
		lastAcked = max(lastAcked, acked)
		f.ledger.store.kv.Close()
	}
	if lastAcked == 0 {
		t.Fatal("the child never committed a block; the test proved nothing")
	}
}

// crashChild commits blocks of transfers forever, recording each height
// only after Commit returned (the acknowledgement).
func crashChild(t *testing.T) {
	dir := os.Getenv("SOV_CRASH_CHILD")
	f := openFixture(t, dir, 2)
	_ = os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
	alice, bob := f.customers[0], f.customers[1]
	for {
		var txs []*chain.Tx
		for i := 0; i < 50; i++ {
			txs = append(txs, f.tx(alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 1}))
			txs = append(txs, f.tx(bob, chain.Transfer{To: addr(alice), Asset: "CNY", Amount: 1}))
		}
		b, _ := f.block(txs...)
		_ = os.WriteFile(filepath.Join(dir, "acked"), []byte(strconv.FormatUint(b.Height(), 10)), 0o644)
	}
}
