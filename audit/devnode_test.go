package audit

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/node/devnode"
)

// TestRealNodeChain audits a chain made by a real node under load (escrows
// with bank feedback, releases, refunds, stray feedback, a burst of
// transfers): over RPC while it runs, as an exported file, imported into a
// fresh data dir, and as the node's own data dir once it stopped.
func TestRealNodeChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	dir := t.TempDir()
	n := devnode.Start(t, dir, nil)
	n.Workload(3)
	n.Burst(1500)
	ctx := context.Background()

	src, err := OpenRPC(ctx, n.Node.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	rep := audit(t, src, Config{})
	src.Close()
	if !rep.Passed || rep.Chain.Txs < 1500 {
		t.Fatalf("live node over RPC: %d txs, findings %v", rep.Chain.Txs, rep.Findings)
	}
	if rep.Banks[0].Matched == 0 || rep.Banks[0].Mismatched == 0 {
		t.Errorf("bank A reconciliation %+v: the workload makes matched and mismatched records", rep.Banks[0])
	}

	src, err = OpenRPC(ctx, n.Node.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	blocks, err := Export(ctx, src, nil, &file, nil)
	src.Close()
	if err != nil || blocks < rep.Chain.Height {
		t.Fatalf("export over RPC: %d blocks, %v", blocks, err)
	}
	rep = audit(t, memSource(t, file.Bytes()), Config{Genesis: devnode.Genesis()})
	if !rep.Passed {
		t.Fatalf("exported file: %v", rep.Findings)
	}

	t.Run("tamper", func(t *testing.T) { runTampers(t, file.Bytes(), 1) })

	// Import into a fresh data dir, then audit that dir as a node's.
	imported := t.TempDir()
	store, err := ledger.OpenLevelDB(ChainData(imported))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Import(ctx, memSource(t, file.Bytes()), store, Config{})
	store.Close()
	if err != nil || !rep.Passed {
		t.Fatalf("import: %v %v", err, rep.Findings)
	}
	auditDir := func(d string) *Report {
		src, err := OpenDataDir(d)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		return audit(t, src, Config{Genesis: devnode.Genesis()})
	}
	if rep := auditDir(imported); !rep.Passed || rep.Chain.Height != blocks {
		t.Fatalf("imported dir: height %d of %d, %v", rep.Chain.Height, blocks, rep.Findings)
	}

	n.Node.Close()
	// The node's own directory, copied as an auditor would.
	copied := t.TempDir()
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	rep = auditDir(copied)
	if !rep.Passed || rep.Chain.Height < blocks {
		t.Fatalf("node's data dir: %v", rep.Findings)
	}
	bumpStoredBalance(t, copied, devnode.Addr(devnode.Bob))
	if f := auditDir(copied).First(); f == nil || f.Rule != RuleStoredState || f.Height != rep.Chain.Height {
		t.Fatalf("a balance changed in the node's stored state: first finding %v, want %s at %d", f, RuleStoredState, rep.Chain.Height)
	}
}
