package snapshot

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/audit"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestAuditOfSnapshotDataDir: the auditor, which verifies from genesis,
// refuses a snapshot node's data dir with "before the snapshot" rather
// than a vague miss.
func TestAuditOfSnapshotDataDir(t *testing.T) {
	c := buildChain(t, 3, 5)
	raw, _ := exportBytes(t, c, 0)
	dir := t.TempDir()
	store, err := ledger.OpenLevelDB(filepath.Join(dir, "chaindata"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	store.Close()
	src, err := audit.OpenDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := audit.Run(context.Background(), src, audit.Config{Genesis: c.Genesis})
	msg := ""
	if err != nil {
		msg = err.Error()
	} else if rep != nil {
		var b strings.Builder
		rep.WriteSummary(&b)
		msg = b.String()
	}
	if !strings.Contains(msg, chain.ErrBeforeSnapshot.Error()) {
		t.Fatalf("audit of a snapshot data dir said %q, want %q", msg, chain.ErrBeforeSnapshot)
	}
}
