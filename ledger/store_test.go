package ledger

import (
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/internal/crashtest"
)

// TestCrashConsistency kills a process that is committing blocks at random
// moments (kill -9) and checks, after each kill, that the store reopens with
// a consistent chain and state and has lost no acknowledged block. The
// child is Ready once its store is open: goleveldb writes its CURRENT file
// after the first MANIFEST, and a store killed between the two is refused
// as damaged, which is not what this test is about.
func TestCrashConsistency(t *testing.T) {
	if dir := crashtest.Child("SOV_CRASH_CHILD"); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	crashtest.Kill(t, "TestCrashConsistency", "SOV_CRASH_CHILD", dir, 5,
		func(round int) time.Duration { return time.Duration(50+round*137) * time.Millisecond },
		func(round int, acked uint64) {
			f := openFixture(t, dir, 2)
			defer f.ledger.store.kv.Close()
			if err := f.ledger.CheckConsistency(); err != nil {
				t.Fatalf("after kill %d: %v", round, err)
			}
			if head := f.ledger.Head().Height; head < acked {
				t.Fatalf("after kill %d: head %d, but block %d was acknowledged final", round, head, acked)
			}
		})
}

// crashChild commits blocks of transfers forever, acknowledging each
// height only after Commit returned.
func crashChild(t *testing.T, dir string) {
	f := openFixture(t, dir, 2)
	crashtest.Ready(dir)
	alice, bob := f.customers[0], f.customers[1]
	for {
		var txs []*chain.Tx
		for i := 0; i < 50; i++ {
			txs = append(txs, f.tx(alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 1}))
			txs = append(txs, f.tx(bob, chain.Transfer{To: addr(alice), Asset: "CNY", Amount: 1}))
		}
		b, _ := f.block(txs...)
		crashtest.Ack(dir, b.Height())
	}
}
