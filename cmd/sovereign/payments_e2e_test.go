package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPaymentsWalkthrough runs docs/PAYMENTS.md's commands with the real
// binary on a one-validator devnet: a bank binds an alias; a merchant
// requests from it and the customer pays straight; then a request paid into
// escrow, the bank's camt.054 reservation imported (twice: the second time
// skipped), the escrow released, the booked debit imported, and the
// merchant sees the request paid and the escrow released and matched.
func TestPaymentsWalkthrough(t *testing.T) {
	dir := t.TempDir()
	dn := startDevnet(t, dir, freePort(t), "--validators", "1")
	accounts, raw := readAccounts(t, dir)
	var alice, bob string
	for _, a := range accounts {
		switch a.Name {
		case "alice":
			alice = a.Address
		case "bob":
			bob = a.Address
		}
	}
	var bankA string
	for _, a := range accounts {
		if strings.EqualFold(a.Address, alice) {
			bankA = a.Bank
		}
	}
	if alice == "" || bob == "" || bankA == "" {
		t.Fatalf("accounts.json lacks alice, bob or alice's bank: %s", raw)
	}
	t.Setenv("SOV_RPC", dn.rpc)
	t.Setenv("SOV_KEYSTORE", filepath.Join(dir, "keystore"))
	t.Setenv("SOV_PASSWORD_FILE", filepath.Join(dir, "password"))
	jsonOf := func(out string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", out, err)
		}
		return m
	}

	mustRun(t, "bank", "alias", "bind", "--from", bankA, "--account", alice, "--alias", "+86 138 0013 8000", "--wait")
	if out := mustRun(t, "bank", "alias", "resolve", "+8613800138000"); !strings.Contains(strings.ToLower(out), strings.ToLower(alice)) {
		t.Fatalf("resolve: %s", out)
	}

	// way 1: paid straight
	req := jsonOf(mustRun(t, "merchant", "request", "--from", bob, "--payer", "+8613800138000", "--asset", "CNY", "--amount", "12.50",
		"--expires", "15m", "--ref", "ORDER-1001", "--wait", "--json"))["request"].(string)
	if out := mustRun(t, "wallet", "requests", alice); !strings.Contains(out, req) || !strings.Contains(out, "ORDER-1001") {
		t.Fatalf("wallet requests: %s", out)
	}
	mustRun(t, "wallet", "accept", "--from", alice, "--request", req, "--wait")
	if st := jsonOf(mustRun(t, "merchant", "request-status", "--json", req)); st["status"] != "paid" || st["amount"] != "12.50" {
		t.Fatalf("request-status: %v", st)
	}
	if out := mustRun(t, "merchant", "requests", "--status", "paid", bob); !strings.Contains(out, req) {
		t.Fatalf("merchant requests: %s", out)
	}

	// way 2: into escrow, confirmed by camt.054
	req = jsonOf(mustRun(t, "merchant", "request", "--from", bob, "--payer", "+8613800138000", "--asset", "CNY", "--amount", "12.50",
		"--expires", "15m", "--ref", "ORDER-1002", "--escrow", "--wait", "--json"))["request"].(string)
	mustRun(t, "wallet", "accept", "--from", alice, "--request", req, "--wait")
	escrow := jsonOf(mustRun(t, "merchant", "request-status", "--json", req))["escrow"].(string)
	e2e := jsonOf(mustRun(t, "wallet", "escrow", "--json", escrow))["end_to_end_id"].(string)
	hold := `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>BANKA-0001</MsgId><CreDtTm>2026-12-03T10:00:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id>
   <Ntry><Amt Ccy="CNY">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
    <AcctSvcrRef>A-HOLD-0001</AcctSvcrRef>
    <NtryDtls><TxDtls><Refs><EndToEndId>` + e2e + `</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>
`
	holdFile, debitFile := filepath.Join(t.TempDir(), "hold.xml"), filepath.Join(t.TempDir(), "debit.xml")
	debit := strings.NewReplacer("camt.054.001.08", "camt.054.001.02", "<Sts><Cd>PDNG</Cd></Sts>", "<Sts>BOOK</Sts>",
		"A-HOLD-0001", "A-DEBIT-0001", "BANKA-0001", "BANKA-0002").Replace(hold)
	if err := os.WriteFile(holdFile, []byte(hold), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(debitFile, []byte(debit), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "bank", "feedback", "import", "--from", bankA, "--file", holdFile, "--dry-run"); !strings.Contains(out, "1 to submit") {
		t.Fatalf("dry run: %s", out)
	}
	if out := mustRun(t, "bank", "feedback", "import", "--from", bankA, "--file", holdFile, "--wait"); !strings.Contains(out, "1 submitted") || !strings.Contains(out, "hold_placed") {
		t.Fatalf("import: %s", out)
	}
	if out := mustRun(t, "bank", "feedback", "import", "--from", bankA, "--file", holdFile); !strings.Contains(out, "0 submitted, 1 skipped") {
		t.Fatalf("import again: %s", out)
	}
	mustRun(t, "wallet", "release", "--from", alice, "--escrow", escrow, "--wait")
	rep := jsonOf(mustRun(t, "bank", "feedback", "import", "--from", bankA, "--file", debitFile, "--wait", "--json"))
	if rep["submitted"] != 1.0 || rep["skipped"] != 0.0 || rep["pending"] != 0.0 || rep["unmatched"] != 0.0 {
		t.Fatalf("import debit: %v", rep)
	}
	if st := jsonOf(mustRun(t, "merchant", "request-status", "--json", req)); st["status"] != "paid" || st["escrow"] != escrow {
		t.Fatalf("request-status: %v", st)
	}
	if e := jsonOf(mustRun(t, "wallet", "escrow", "--json", escrow)); e["status"] != "released" || e["bank_status"] != "matched" {
		t.Fatalf("escrow: %v", e)
	}
}
