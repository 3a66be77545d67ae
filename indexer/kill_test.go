package indexer_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/indexer"
	"github.com/sovereign-ledger/sovereign/indexer/internal/pgtest"
	"github.com/sovereign-ledger/sovereign/node/devnode"
)

// buildBinary builds cmd/sovereign into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sovereign")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/sovereign")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build sovereign: %v", err)
	}
	return bin
}

// TestResumeAfterKill9 runs `sovereign index` as a process over a chain of
// full blocks and kills it with SIGKILL at random moments (when its cursor
// has passed a random height, plus a few milliseconds), restarting it each
// time, then lets it finish: the tables are identical to those of one
// uninterrupted run, with no gap and no duplicate.
func TestResumeAfterKill9(t *testing.T) {
	bin := buildBinary(t)
	c := devnode.Start(t, t.TempDir(), nil)
	c.Workload(3)
	c.Burst(4000)
	height := c.Node.Ledger().Head().Height

	ref := connect(t)
	index(t, ref, c.Node.RPCURL(), height)
	want := dump(t, ref)

	victimDSN := pgtest.Database(t)
	victim := poolFor(t, victimDSN)
	args := []string{"--log.level", "warn", "index", "--rpc", c.Node.RPCURL(), "--pg", victimDSN, "--until", strconv.FormatUint(height, 10)}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	var killedAt []uint64
	var last uint64
	for kill := 0; kill < 8 && last+2 < height; kill++ {
		// Kill when the cursor passes a random height ahead of the last
		// kill, plus a random few milliseconds (inside a block's write or
		// between two): on a loaded machine a fixed delay can end before
		// the process has indexed anything.
		target := last + 1 + rng.Uint64N(max(1, (height-last)/3))
		cmd := exec.Command(bin, args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
			cur, ok, _ := indexer.ReadCursor(context.Background(), victim) // errors: not migrated yet
			if ok && cur.Height >= target || time.Now().After(deadline) {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		cur, ok, err := indexer.ReadCursor(context.Background(), victim)
		if err != nil && !strings.Contains(err.Error(), "does not exist") { // killed before its first migration
			t.Fatal(err)
		}
		if ok {
			killedAt = append(killedAt, cur.Height)
			last = cur.Height
		}
	}
	t.Logf("killed with the cursor at %v (of %d)", killedAt, height)
	mid := 0
	for _, h := range killedAt {
		if h > 0 && h < height {
			mid++
		}
	}
	if mid < 2 {
		t.Fatalf("only %d kills landed mid-chain (cursor at %v of %d): the test proves nothing", mid, killedAt, height)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("final run: %v", err)
	}
	sameDump(t, "killed and resumed", want, dump(t, victim))
}
