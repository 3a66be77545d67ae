package snapshot

import (
	"context"
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/audit"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestSnapshotFigures measures what docs/PERFORMANCE.md reports for
// snapshots: export and import time and bytes per account, and the time
// for a new node's store to be ready from a snapshot and by replay. It
// builds a chain whose blocks register SOV_SNAPSHOT_FIGURES accounts
// (5,000 a block) on goleveldb, then, SOV_SNAPSHOT_RUNS times (default 3):
// exports the head, imports it into a fresh goleveldb store and opens a
// ledger on it with the start-up integrity check (ready from a snapshot);
// and once replays the chain file into a fresh store with `sovereign
// import`'s verifying replay (ready by replay). Gated: it takes minutes at
// a million accounts.
//
//	SOV_SNAPSHOT_FIGURES=1000000 nice go test -run TestSnapshotFigures -v -timeout 60m ./snapshot
func TestSnapshotFigures(t *testing.T) {
	accounts, _ := strconv.Atoi(os.Getenv("SOV_SNAPSHOT_FIGURES"))
	if accounts == 0 {
		t.Skip("set SOV_SNAPSHOT_FIGURES=N (accounts) to measure")
	}
	runs := 3
	if r, _ := strconv.Atoi(os.Getenv("SOV_SNAPSHOT_RUNS")); r > 0 {
		runs = r
	}
	dir := t.TempDir()
	src, err := ledger.OpenLevelDB(filepath.Join(dir, "source"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start := time.Now()
	c := registerAccounts(t, src, accounts, 5000)
	t.Logf("built %d blocks registering %d accounts in %s", c.Ledger.Head().Height, accounts, time.Since(start).Round(time.Second))
	// What the export holds in memory: the whole state in trie order.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	entries, err := c.Ledger.DB().StateInTrieOrder()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("the state in trie order holds %.0f MB of heap: %.0f bytes per entry", float64(after.HeapAlloc-before.HeapAlloc)/1e6,
		float64(after.HeapAlloc-before.HeapAlloc)/float64(len(entries)))
	runtime.KeepAlive(entries)
	chainFile := filepath.Join(dir, "chain.sovx")
	f, err := os.Create(chainFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Export(f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for run := 0; run < runs; run++ {
		snap := filepath.Join(dir, "state.sovsnap")
		out, err := os.Create(snap)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		_, stats, err := Export(context.Background(), c.Ledger.DB(), ExportOptions{TmpDir: dir}, out)
		out.Close()
		if err != nil {
			t.Fatal(err)
		}
		exportTook := time.Since(t0)

		store, err := ledger.OpenLevelDB(filepath.Join(dir, "imported"+strconv.Itoa(run)))
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(snap)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		_, _, err = ImportFile(store, Trust{Genesis: c.Genesis}, in)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		importTook := time.Since(t1)
		l, err := ledger.OpenLedger(store, c.Genesis)
		if err == nil {
			_, err = l.CheckIntegrity(false)
		}
		if err != nil {
			t.Fatal(err)
		}
		ready := time.Since(t1)
		if l.Head().StateRoot != c.Ledger.Head().StateRoot {
			t.Fatal("imported state root differs")
		}
		store.Close()
		os.RemoveAll(filepath.Join(dir, "imported"+strconv.Itoa(run)))
		t.Logf("run %d: %d entries, %d chunks, %d bytes (%.1f bytes/account); export %s, import %s, ready from snapshot %s",
			run, stats.Entries, stats.Chunks, stats.Bytes, float64(stats.Bytes)/float64(accounts),
			exportTook.Round(time.Millisecond), importTook.Round(time.Millisecond), ready.Round(time.Millisecond))
	}

	store, err := ledger.OpenLevelDB(filepath.Join(dir, "replayed"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fsrc, err := audit.OpenFile(chainFile)
	if err != nil {
		t.Fatal(err)
	}
	defer fsrc.Close()
	t2 := time.Now()
	rep, err := audit.Import(context.Background(), fsrc, store, audit.Config{Genesis: c.Genesis})
	if err != nil || !rep.Passed {
		t.Fatalf("replay: %v", err)
	}
	t.Logf("ready by replay (verifying import of %d blocks, %d txs): %s", rep.Chain.Blocks, rep.Chain.Txs, time.Since(t2).Round(time.Millisecond))
}

// registerAccounts builds a chain on store whose blocks of perBlock
// RegisterAccount transactions (bank 0's, signed on every core) make n
// accounts.
func registerAccounts(t testing.TB, store ledger.Store, n, perBlock int) *chaingen.Chain {
	t.Helper()
	c, err := chaingen.New(store, chaingen.Genesis(4))
	if err != nil {
		t.Fatal(err)
	}
	bank := chaingen.Bank(0)
	for done := 0; done < n; done += perBlock {
		m := min(perBlock, n-done)
		keys := make([]*ecdsa.PrivateKey, m)
		bodies := make([]chain.Body, m)
		for i := range bodies {
			keys[i], bodies[i] = bank, chain.RegisterAccount{Account: fresh(done + i)}
		}
		txs := c.SignMany(keys, bodies)
		if _, err := c.Next(txs); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
