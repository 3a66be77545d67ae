package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestNodeRefusesDamagedStore runs a node until it has final blocks, stops
// it, truncates the journal of its database (what a torn write or a flipped
// byte leaves) and starts it again: node.New must refuse with the damage
// and the recovery, never start with the last blocks silently missing.
// After `db repair` (ledger.Repair) it starts, on a verified prefix.
func TestNodeRefusesDamagedStore(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.backend.WaitFinal(ctx, 5); err != nil {
		t.Fatalf("no blocks: %v", err)
	}
	height := n.Ledger().Head().Height
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	store := StoreDir(dir)
	journals, _ := filepath.Glob(filepath.Join(store, "*.log"))
	if len(journals) == 0 {
		t.Fatal("no journal")
	}
	j := journals[len(journals)-1]
	fi, err := os.Stat(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(j, fi.Size()-50); err != nil {
		t.Fatal(err)
	}

	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	cfg := Config{DataDir: dir, Genesis: g, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := New(cfg); err == nil {
		h := n.Ledger().Head().Height
		n.Close()
		t.Fatalf("node started on a truncated journal at height %d (was %d)", h, height)
	} else if !errors.Is(err, ledger.ErrDamaged) || !strings.Contains(err.Error(), "sovereign db repair") {
		t.Fatalf("refusal does not name the damage and the recovery: %v", err)
	} else {
		t.Logf("refused: %v", err)
	}

	res, err := ledger.Repair(store, g)
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	cfg.DeepCheck = true
	n, err = New(cfg)
	if err != nil {
		t.Fatalf("repaired store refused: %v", err)
	}
	defer n.Close()
	if got := n.Ledger().Head().Height; got != res.Kept || got == 0 || got > height {
		t.Fatalf("repaired node at height %d, repair kept %d of %d", got, res.Kept, height)
	}
}
