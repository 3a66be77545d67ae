package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/audit/chaingen"
)

// TestAuditExportImportCommands runs the binary's audit, import and export
// on a generated 4-validator chain: exit statuses 0 (verified), 1 (a
// finding) and 2 (could not run), the report files, and a byte-identical
// export of an imported data dir.
func TestAuditExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	file, genesis := filepath.Join(dir, "chain.sovx"), filepath.Join(dir, "genesis.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := chaingen.WriteTransfers(f, 300, 60); err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw, _ := json.Marshal(chaingen.Genesis(4))
	os.WriteFile(genesis, raw, 0o644)

	prof := filepath.Join(dir, "audit.pprof")
	out := mustRun(t, "audit", "--file", file, "--genesis", genesis, "--report", filepath.Join(dir, "report"), "--cpuprofile", prof)
	if !strings.Contains(out, "PASSED") || !strings.Contains(out, "verified to height 5") {
		t.Fatalf("audit summary:\n%s", out)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Fatalf("--cpuprofile wrote no profile: %v", err)
	}
	for _, name := range []string{"report.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, "report", name)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", name, err)
		}
	}

	whole, _ := os.ReadFile(file)
	cut := filepath.Join(dir, "cut.sovx")
	os.WriteFile(cut, whole[:len(whole)-40], 0o644)
	out, _, code := run(t, "audit", "--file", cut)
	if code != 1 || !strings.Contains(out, "first failure: truncated") {
		t.Fatalf("truncated file: exit %d\n%s", code, out)
	}
	if _, errOut, code := run(t, "audit", "--file", file, "--rpc", "http://127.0.0.1:1"); code != 2 || !strings.Contains(errOut, "exactly one") {
		t.Fatalf("two sources: exit %d, %s", code, errOut)
	}

	dataDir := filepath.Join(dir, "node")
	mustRun(t, "import", "--file", file, "--datadir", dataDir, "--genesis", genesis)
	if _, _, code := run(t, "import", "--file", file, "--datadir", dataDir); code != 2 {
		t.Fatalf("import into a dir that holds a chain: exit %d, want 2", code)
	}
	out = mustRun(t, "audit", "--datadir", dataDir, "--genesis", genesis)
	if !strings.Contains(out, "PASSED") {
		t.Fatalf("audit of the imported dir:\n%s", out)
	}
	again := filepath.Join(dir, "again.sovx")
	mustRun(t, "export", "--datadir", dataDir, "--genesis", genesis, "--out", again)
	if exported, _ := os.ReadFile(again); !bytes.Equal(exported, whole) {
		t.Fatal("exporting the imported dir does not give the file back")
	}
	if _, errOut, code := run(t, "export", "--datadir", dataDir, "--out", again); code == 0 || !strings.Contains(errOut, "genesis") {
		t.Fatalf("export with the devnet genesis of another chain: exit %d, %s", code, errOut)
	}
}
