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
// full blocks and kills it with SIGKILL at random moments, restarting it
// each time, then lets it finish: the tables are identical to those of one
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
	for kill := 0; kill < 8; kill++ {
		cmd := exec.Command(bin, args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		cur, ok, err := indexer.ReadCursor(context.Background(), victim)
		if err != nil && !strings.Contains(err.Error(), "does not exist") { // killed before its first migration
			t.Fatal(err)
		}
		if ok {
			killedAt = append(killedAt, cur.Height)
		}
		if ok && cur.Height >= height {
			break
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
