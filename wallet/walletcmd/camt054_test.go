package walletcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/camt"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/wallet"
)

func TestFeedbackImportCommand(t *testing.T) {
	e := newCLIEnv(t)
	e.chain.AutoSeal = true
	client, err := wallet.Dial(e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	hold, err := client.Submit(ctx, chain.Hold{Payee: nodetest.Addr(e.keys.Bob), Asset: "CNY", Amount: 500, Expiry: e.chain.Ledger.Head().Time + 3_600_000}, e.keys.Alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.WaitFinal(ctx, hold.Hash()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := camt.Write(&buf, "camt.054.001.02", "M-1", time.Now(), []camt.Item{
		{EndToEndID: chain.EscrowEndToEndID(hold.Hash()), CreditDebit: camt.Debit, Status: camt.Pending, Amount: "5.00", Currency: "CNY", BankRef: "H-1"},
		{EndToEndID: "ORDER-9", CreditDebit: camt.Debit, Status: camt.Booked, Amount: "5.00", Currency: "CNY", BankRef: "X-1"},
	}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "notification.xml")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bank := nodetest.Addr(e.keys.Bank).Hex()
	args := func(extra ...string) []string {
		return append([]string{"bank", "feedback", "import", "--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", bank, "--file", file}, extra...)
	}
	var rep wallet.ImportReport
	decode(t, e.ok(args("--dry-run", "--json")...), &rep)
	if !rep.DryRun || rep.Submitted != 1 || rep.Unmatched != 1 || rep.Entries["submitted"][0].Tx != nil {
		t.Fatalf("dry run: %+v", rep)
	}
	decode(t, e.ok(args("--wait", "--json")...), &rep)
	if rep.Submitted != 1 || rep.Entries["submitted"][0].Kind != "hold_placed" || rep.Entries["submitted"][0].Code != "" {
		t.Fatalf("import: %+v", rep)
	}
	out := e.ok(args()...)
	if !strings.Contains(out, "0 submitted, 1 skipped, 0 pending, 1 unmatched") || !strings.Contains(out, "already imported") || !strings.Contains(out, "ORDER-9") {
		t.Fatalf("second import:\n%s", out)
	}
	e.fails(1, "malformed XML", append(args()[:len(args())-1], filepath.Join("..", "..", "camt", "testdata", "camt054_malformed.xml"))...)
}
