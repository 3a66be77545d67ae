package wallet

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/camt"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// camtFile renders items as a camt.054 file of version.
func camtFile(t testing.TB, version string, items ...camt.Item) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := camt.Write(&buf, version, "TEST-1", time.Unix(1_700_000_000, 0), items); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func entry(e2e, cd, status, amount, ref string) camt.Item {
	return camt.Item{EndToEndID: e2e, CreditDebit: cd, Status: status, Amount: amount, Currency: "CNY", BankRef: ref}
}

// TestImportCamt054 imports the bank's notifications for an escrow (hold
// reserved, part released and debited, the rest returned), a payout, a
// reversal, an unknown reference and a pending entry, in both versions;
// importing a file again submits nothing new; a malformed file submits
// nothing at all.
func TestImportCamt054(t *testing.T) {
	f := newFixture(t)
	f.chain.AutoSeal = true
	alice, bob := f.keys.Alice, nodetest.Addr(f.keys.Bob)
	head, _ := f.c.BlockByNumber(f.ctx, rpc.Latest, false)
	hold := f.final(t)(f.c.Submit(f.ctx, chain.Hold{Payee: bob, Asset: "CNY", Amount: 1250, Expiry: head.Time + 3_600_000}, alice))
	e2e := chain.EscrowEndToEndID(hold.Hash())
	imp := func(file []byte, o ImportOptions) *ImportReport {
		t.Helper()
		rep, err := f.c.ImportCamt054(f.ctx, f.keys.Bank, bytes.NewReader(file), o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	counts := func(rep *ImportReport, submitted, skipped, pending, unmatched int) {
		t.Helper()
		if rep.Submitted != submitted || rep.Skipped != skipped || rep.Pending != pending || rep.Unmatched != unmatched {
			t.Fatalf("submitted/skipped/pending/unmatched %d/%d/%d/%d, want %d/%d/%d/%d: %+v",
				rep.Submitted, rep.Skipped, rep.Pending, rep.Unmatched, submitted, skipped, pending, unmatched, rep.Entries)
		}
	}

	// v02: the bank reserved the hold; an information entry is only reported
	reserve := camtFile(t, "camt.054.001.02", entry(e2e, camt.Debit, camt.Pending, "12.50", "H-1"), entry(e2e, camt.Debit, camt.Info, "12.50", "I-1"))
	dry := imp(reserve, ImportOptions{DryRun: true})
	counts(dry, 1, 0, 1, 0)
	if e, _ := f.c.Escrow(f.ctx, hold.Hash()); e.Steps[0].Matched {
		t.Fatal("a dry run submitted feedback")
	}
	rep := imp(reserve, ImportOptions{Wait: true})
	counts(rep, 1, 0, 1, 0)
	if s := rep.Entries[ImportSubmitted][0]; s.Kind != "hold_placed" || s.Code != "" || s.Tx == nil {
		t.Fatalf("submitted %+v", s)
	}

	// release 10.00 of 12.50; withdraw 1.00
	f.final(t)(f.c.Release(f.ctx, alice, hold.Hash(), "10.00"))
	payout := f.final(t)(f.c.Withdraw(f.ctx, alice, "CNY", "1.00", []byte("CN12 3456"), nil))
	booked := camtFile(t, "camt.054.001.08",
		entry(e2e, camt.Debit, camt.Booked, "10.00", "D-1"),
		entry(e2e, camt.Credit, camt.Booked, "2.50", "C-1"),
		entry(chain.PayoutEndToEndID(payout.Hash()), camt.Debit, camt.Booked, "1.00", "P-1"),
		entry("SE"+strings.Repeat("0", 32), camt.Debit, camt.Booked, "5.00", "U-1"),
		entry("INVOICE-77", camt.Debit, camt.Booked, "5.00", "U-2"),
		entry(e2e, camt.Debit, camt.Booked, "10.00", "D-1"), // the same booking twice in one file
	)
	rep = imp(booked, ImportOptions{Wait: true})
	counts(rep, 3, 1, 0, 2)
	for i, want := range []string{"debit_executed", "hold_released", "payout_executed"} {
		if s := rep.Entries[ImportSubmitted][i]; s.Kind != want || s.Code != "" {
			t.Fatalf("submitted[%d] %+v, want %s matched", i, s, want)
		}
	}
	e, _ := f.c.Escrow(f.ctx, hold.Hash())
	if e.BankStatus != chain.BankMatched || len(e.Steps) != 3 {
		t.Fatalf("escrow bank status %s steps %+v", e.BankStatus, e.Steps)
	}
	if p, _ := f.c.Payout(f.ctx, payout.Hash()); p.BankStatus != chain.BankMatched {
		t.Fatalf("payout bank status %s", p.BankStatus)
	}
	// the same file again: nothing new
	counts(imp(booked, ImportOptions{}), 0, 4, 0, 2)

	// a reversal flags the escrow
	rvsl := entry(e2e, camt.Debit, camt.Booked, "10.00", "R-1")
	rvsl.Reversal = true
	rep = imp(camtFile(t, "camt.054.001.02", rvsl), ImportOptions{Wait: true})
	counts(rep, 1, 0, 0, 0)
	if s := rep.Entries[ImportSubmitted][0]; s.Kind != "reversal" || s.Code != "feedback_mismatch" {
		t.Fatalf("reversal %+v", s)
	}
	if e, _ := f.c.Escrow(f.ctx, hold.Hash()); e.BankStatus != chain.BankMismatch || e.Exceptions[0].Reason != chain.ReasonReversal {
		t.Fatalf("after reversal: %s %+v", e.BankStatus, e.Exceptions)
	}

	// a malformed file: a clear error, nothing submitted
	bankAddr := nodetest.Addr(f.keys.Bank)
	before, _ := f.c.NextNonce(f.ctx, bankAddr)
	malformed, err := os.ReadFile("../camt/testdata/camt054_malformed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ImportCamt054(f.ctx, f.keys.Bank, bytes.NewReader(malformed), ImportOptions{}); err == nil || !strings.Contains(err.Error(), "malformed XML at line") {
		t.Fatalf("malformed: %v", err)
	}
	if after, _ := f.c.NextNonce(f.ctx, bankAddr); after != before {
		t.Fatalf("a malformed file submitted %d transactions", after-before)
	}
}

// BenchmarkImportPlan10k: reading, mapping and signing a camt.054 file of
// 10,000 entries (the import's own work; finality is not waited for).
func BenchmarkImportPlan10k(b *testing.B) {
	const n = 10_000
	key := nodetest.DevKey("bench-bank")
	items := make([]camt.Item, n)
	matches := make(map[string]rpc.RecordMatch, n)
	for i := range items {
		id := common.BigToHash(common.Big1).Bytes()
		id[0], id[1], id[2] = byte(i>>16), byte(i>>8), byte(i)
		h := common.BytesToHash(id)
		ref := chain.EscrowEndToEndID(h)
		items[i] = entry(ref, camt.Debit, camt.Booked, "10.00", "REF-"+ref[:20])
		matches[ref] = rpc.RecordMatch{Ref: ref, Escrow: &rpc.Escrow{ID: h, Asset: "CNY", Status: "released"}}
	}
	file := camtFile(b, "camt.054.001.08", items...)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchImport(b, file, matches, key)
	}
}

func benchImport(b *testing.B, file []byte, matches map[string]rpc.RecordMatch, key *ecdsa.PrivateKey) {
	note, err := camt.Parse(bytes.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	rep, bodies := PlanImport(note, matches, map[string]uint8{"CNY": 2})
	if rep.Submitted != len(note.Items) {
		b.Fatalf("submitted %d of %d: %+v", rep.Submitted, len(note.Items), rep.Entries[ImportUnmatched])
	}
	if _, err := SignFeedbacks("bench", 0, key, bodies); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFindBankRecords10k: the import's lookup of 10,000 end-to-end
// ids through the node's RPC (sov_findBankRecords over the in-memory store:
// one flat-state prefix scan per id).
func BenchmarkFindBankRecords10k(b *testing.B) {
	c, keys := nodetest.New()
	client, err := Dial(c.Serve(b))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	refs := make([]string, 10_000)
	for i := range refs {
		refs[i] = chain.EscrowEndToEndID(common.BigToHash(common.Big1.Lsh(common.Big1, uint(i%200)+8)))
	}
	q := rpc.EndToEndQuery{Bank: nodetest.Addr(keys.Bank), Refs: refs}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := client.FindBankRecords(ctx, q)
		if err != nil || len(got) != len(refs) {
			b.Fatalf("%d answers, %v", len(got), err)
		}
	}
}
