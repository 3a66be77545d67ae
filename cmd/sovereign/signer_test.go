package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSignerStateOutlivesChaindata runs 4 validators of the built binary
// and makes the operator mistakes that used to risk a double signature:
//   - validator 1's chaindata is wiped: its signer state in DATADIR/signer
//     survives, so it re-syncs and signs on without a watch;
//   - validator 2's signer state is deleted on a running chain: it says so
//     and watches two heights before it signs again;
//   - validator 3's signer state is restored from an older backup: it is
//     older than the chain, so the same.
//
// Throughout, no validator sees an equivocation and all hold the same blocks.
func TestSignerStateOutlivesChaindata(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process cluster test")
	}
	c := newCluster(t, 4, nil)
	urls := []string{c.rpc(0), c.rpc(1), c.rpc(2), c.rpc(3)}
	c.waitHeight(3, 60*time.Second, urls...)
	dir := c.procs.Layout.NodeDir

	backup := filepath.Join(t.TempDir(), "signer")
	if err := os.CopyFS(backup, os.DirFS(filepath.Join(dir(3), "signer"))); err != nil {
		t.Fatal(err)
	}
	head := c.headOf(urls[0])
	c.waitHeight(head+3, 60*time.Second, urls...)

	restart := func(i int, damage func()) {
		t.Helper()
		c.kill(i)
		damage()
		c.logs[i].Reset()
		c.start(i)
		c.waitHeight(c.headOf(urls[(i+1)%4])+2, 60*time.Second, urls...)
	}
	restart(1, func() { removeAll(t, filepath.Join(dir(1), "chaindata")) })
	if log := c.logs[1].String(); strings.Contains(log, "lost signer state") {
		t.Fatalf("validator 1 lost its signer state with its chaindata:\n%s", tail(log, 3000))
	}

	restart(2, func() { removeAll(t, filepath.Join(dir(2), "signer")) })
	c.waitLog(2, "no signer state", 10*time.Second)
	c.waitLog(2, "signer watch over", 60*time.Second)

	restart(3, func() {
		removeAll(t, filepath.Join(dir(3), "signer"))
		if err := os.CopyFS(filepath.Join(dir(3), "signer"), os.DirFS(backup)); err != nil {
			t.Fatal(err)
		}
	})
	c.waitLog(3, "older than the chain", 10*time.Second)
	c.waitLog(3, "signer watch over", 60*time.Second)

	final := c.headOf(urls[0])
	c.waitHeight(final+2, 60*time.Second, urls...)
	for h := uint64(1); h <= final; h++ {
		ref := c.block(urls[0], h)
		for _, u := range urls[1:] {
			if b := c.block(u, h); b.Hash != ref.Hash {
				t.Fatalf("height %d: %s has %s, %s has %s", h, urls[0], ref.Hash, u, b.Hash)
			}
		}
	}
	for i := range 4 {
		if strings.Contains(c.logs[i].String(), "equivocation") {
			t.Fatalf("validator %d saw an equivocation:\n%s", i, tail(c.logs[i].String(), 3000))
		}
	}
}

func removeAll(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// headOf is a node's final height.
func (c *cluster) headOf(url string) uint64 {
	c.t.Helper()
	ci, err := c.info(url)
	if err != nil {
		c.t.Fatal(err)
	}
	return ci.FinalHeight
}

// waitLog waits until node i's log (since its last start) says want.
func (c *cluster) waitLog(i int, want string, timeout time.Duration) {
	c.t.Helper()
	for deadline := time.Now().Add(timeout); !strings.Contains(c.logs[i].String(), want); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			c.t.Fatalf("node %d did not log %q within %s:\n%s", i, want, timeout, tail(c.logs[i].String(), 3000))
		}
	}
}
