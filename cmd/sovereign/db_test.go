package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/node"
)

// TestDamagedValidatorRepairsAndResyncs runs 4 validators of the built
// binary, kill -9s one, truncates its database journal (a torn write), and
// restarts it: `sovereign node` must exit with the damage and the recovery
// named, not run on a chain with its last blocks missing. `sovereign db
// repair` keeps the blocks that verify; restarted, the validator re-syncs
// the rest from its peers and holds the same blocks as they do.
func TestDamagedValidatorRepairsAndResyncs(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process cluster test")
	}
	c := newCluster(t, 4, nil)
	urls := []string{c.rpc(0), c.rpc(1), c.rpc(2), c.rpc(3)}
	c.waitHeight(4, 60*time.Second, urls...)
	const victim = 3
	c.kill(victim)
	ci, err := c.info(c.rpc(0))
	if err != nil {
		t.Fatal(err)
	}

	store := node.StoreDir(c.procs.Layout.NodeDir(victim))
	journals, _ := filepath.Glob(filepath.Join(store, "*.log"))
	if len(journals) == 0 {
		t.Fatalf("no journal in %s", store)
	}
	j := journals[len(journals)-1]
	fi, err := os.Stat(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(j, fi.Size()-60); err != nil {
		t.Fatal(err)
	}

	args, err := c.procs.Args(victim)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the node started on a damaged database:\n%s", tail(out.String(), 2000))
	}
	if err == nil || !strings.Contains(out.String(), "database damaged") || !strings.Contains(out.String(), "sovereign db repair") {
		t.Fatalf("exit %v; want a refusal naming the damage and the recovery:\n%s", err, tail(out.String(), 2000))
	}

	repaired := mustRun(t, "db", "repair", "--datadir", c.procs.Layout.NodeDir(victim), "--genesis", c.procs.Layout.Genesis())
	if !strings.Contains(repaired, "kept blocks 1..") {
		t.Fatalf("repair said: %s", repaired)
	}
	mustRun(t, "db", "check", "--datadir", c.procs.Layout.NodeDir(victim), "--genesis", c.procs.Layout.Genesis())

	c.start(victim)
	target := ci.FinalHeight + 3
	c.waitHeight(target, 90*time.Second, urls...)
	for h := uint64(1); h <= target; h++ {
		if a, b := c.block(urls[0], h), c.block(urls[victim], h); a.Hash != b.Hash || a.StateRoot != b.StateRoot {
			t.Fatalf("block %d differs after repair and re-sync: %+v vs %+v", h, a, b)
		}
	}
}
