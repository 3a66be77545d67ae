package camt

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func parseFile(t *testing.T, name string) (*Notification, error) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f)
}

func TestParseV02(t *testing.T) {
	n, err := parseFile(t, "camt054_v02.xml")
	if err != nil {
		t.Fatal(err)
	}
	const e2e = "SE00112233445566778899AABBCCDDEEFF"
	want := []Item{
		{Entry: 0, Amount: "12.50", Currency: "CNY", CreditDebit: Debit, Status: Pending, BankRef: "A-HOLD-0001", EndToEndID: e2e},
		{Entry: 1, Amount: "10.00", Currency: "CNY", CreditDebit: Debit, Status: Booked, BankRef: "A-DEBIT-0002", EndToEndID: e2e},
		{Entry: 2, Amount: "2.50", Currency: "CNY", CreditDebit: Credit, Status: Booked, BankRef: "A-CREDIT-0003", EndToEndID: e2e},
		{Entry: 3, Amount: "10.00", Currency: "CNY", CreditDebit: Credit, Status: Booked, Reversal: true, BankRef: "A-RVSL-0004", EndToEndID: e2e},
		{Entry: 4, Amount: "99.00", Currency: "CNY", CreditDebit: Debit, Status: Booked, BankRef: "A-OTHER-0005", EndToEndID: "INVOICE-2026-77"},
	}
	if n.Version != "camt.054.001.02" || n.MessageID != "BANKA-20261203-0001" || !reflect.DeepEqual(n.Items, want) {
		t.Fatalf("got %s %s\n%+v\nwant\n%+v", n.Version, n.MessageID, n.Items, want)
	}
}

func TestParseV08(t *testing.T) {
	n, err := parseFile(t, "camt054_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{Entry: 0, Amount: "7.00", Currency: "CNY", CreditDebit: Debit, Status: Booked, BankRef: "B-PAYOUT-0001", EndToEndID: "SP0123456789ABCDEF0123456789ABCDEF"},
		{Entry: 1, Detail: 0, Amount: "10.00", Currency: "CNY", CreditDebit: Debit, Status: Pending, BankRef: "B-HOLD-0002A", EndToEndID: "SEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{Entry: 1, Detail: 1, Amount: "20.00", Currency: "CNY", CreditDebit: Debit, Status: Pending, BankRef: "B-HOLD-0002B"},
	}
	if n.Version != "camt.054.001.08" || !reflect.DeepEqual(n.Items, want) {
		t.Fatalf("got %s\n%+v\nwant\n%+v", n.Version, n.Items, want)
	}
}

func TestParseRefuses(t *testing.T) {
	if _, err := parseFile(t, "camt054_malformed.xml"); err == nil || !strings.Contains(err.Error(), "malformed XML at line") {
		t.Fatalf("malformed file: %v", err)
	}
	v02, _ := os.ReadFile("testdata/camt054_v02.xml")
	for name, c := range map[string]struct{ from, to, want string }{
		"other message": {"camt.054.001.02", "camt.053.001.02", "namespace"},
		"bad status":    {"<Sts>PDNG</Sts>", "<Sts>DONE</Sts>", `status "DONE"`},
		"bad indicator": {"<CdtDbtInd>CRDT</CdtDbtInd>\n        <RvslInd>", "<CdtDbtInd>BOTH</CdtDbtInd>\n        <RvslInd>", `indicator "BOTH"`},
		"bad amount":    {">12.50<", ">12,50<", `amount "12,50"`},
		"bad reversal":  {"<RvslInd>true", "<RvslInd>maybe", `reversal indicator "maybe"`},
		"no body":       {"BkToCstmrDbtCdtNtfctn>", "Other>", "no BkToCstmrDbtCdtNtfctn"},
		"bad currency":  {`<Amt Ccy="CNY">99.00`, `<Amt Ccy="YUAN">99.00`, `currency "YUAN"`},
	} {
		doc := strings.ReplaceAll(string(v02), c.from, c.to)
		if doc == string(v02) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if _, err := Parse(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", name, err, c.want)
		}
	}
}

// TestWriteParse: what Write renders, Parse reads back unchanged, in both
// versions.
func TestWriteParse(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		version := rapid.SampledFrom([]string{"camt.054.001.02", "camt.054.001.08"}).Draw(rt, "version")
		n := rapid.IntRange(0, 20).Draw(rt, "n")
		items := make([]Item, n)
		for i := range items {
			items[i] = Item{
				Entry:       i,
				Amount:      rapid.StringMatching(`[0-9]{1,9}\.[0-9]{2}`).Draw(rt, "amount"),
				Currency:    rapid.SampledFrom([]string{"CNY", "USD"}).Draw(rt, "ccy"),
				CreditDebit: rapid.SampledFrom([]string{Credit, Debit}).Draw(rt, "cd"),
				Status:      rapid.SampledFrom([]string{Booked, Pending, Info}).Draw(rt, "status"),
				Reversal:    rapid.Bool().Draw(rt, "rvsl"),
				BankRef:     rapid.StringMatching(`[A-Za-z0-9<&-]{1,35}`).Draw(rt, "ref"),
				EndToEndID:  rapid.StringMatching(`(SE[0-9A-F]{32})?`).Draw(rt, "e2e"),
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, version, "M", time.Unix(0, 0), items); err != nil {
			rt.Fatal(err)
		}
		got, err := Parse(&buf)
		if err != nil {
			rt.Fatalf("%v\n%s", err, buf.String())
		}
		if got.Version != version || len(got.Items) != n || (n > 0 && !reflect.DeepEqual(got.Items, items)) {
			rt.Fatalf("round trip:\n%+v\n%+v", got.Items, items)
		}
	})
}

// FuzzParse: any input is either refused or read into items that keep the
// rules Parse promises (known status and indicator, a decimal amount, a
// three-letter currency).
func FuzzParse(f *testing.F) {
	for _, name := range []string{"camt054_v02.xml", "camt054_v08.xml", "camt054_malformed.xml"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, it := range n.Items {
			if (it.Status != Booked && it.Status != Pending && it.Status != Info) || (it.CreditDebit != Credit && it.CreditDebit != Debit) ||
				!decimalPattern.MatchString(it.Amount) || len(it.Currency) != 3 {
				t.Fatalf("%s: item breaks the rules: %+v", it.Where(), it)
			}
		}
	})
}
