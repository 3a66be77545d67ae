package audit

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// stateKey is where the flat state keeps a state entry in the node's
// database (docs/adr/0003-storage-layout.md: prefix S).
func stateKey(k []byte) []byte { return append([]byte{'S'}, k...) }

func TestDataDirAuditComparesStoredState(t *testing.T) {
	dir := t.TempDir()
	store, err := ledger.OpenLevelDB(ChainData(dir))
	if err != nil {
		t.Fatal(err)
	}
	buildMixed(t, store, 6)
	store.Close()

	auditDir := func() *Report {
		src, err := OpenDataDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		return audit(t, src, Config{Genesis: chaingen.Genesis(4)})
	}
	rep := auditDir()
	if !rep.Passed || rep.Chain.Height != 6 {
		t.Fatalf("untampered data dir: height %d, findings %v", rep.Chain.Height, rep.Findings)
	}
	if ch := rep.checks(RuleStoredState); ch == nil || ch.Checked == 0 {
		t.Fatalf("stored state not compared: %+v", rep.Checks)
	}
	src, err := OpenDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := chaingen.Genesis(4)
	other.Params.FeedbackDeadline *= 2
	rep = audit(t, src, Config{Genesis: other})
	src.Close()
	if f := rep.First(); f == nil || f.Rule != RuleGenesis {
		t.Fatalf("data dir audited against another genesis: first finding %v, want %s", f, RuleGenesis)
	}
	if _, err := OpenDataDir(t.TempDir()); err == nil {
		t.Fatal("an empty directory opens as a data dir")
	}

	// Give bob a little more CNY in the stored state only.
	bumpStoredBalance(t, dir, addr(1))
	rep = auditDir()
	f := rep.First()
	if rep.Passed || f == nil || f.Rule != RuleStoredState || f.Height != 6 {
		t.Fatalf("changed stored balance: first finding %v, want %s at height 6", f, RuleStoredState)
	}
	t.Logf("caught: %s", f)
}

// bumpStoredBalance adds 100 minor units of CNY to an account in a data
// dir's stored state, and nowhere else.
func bumpStoredBalance(t *testing.T, dir string, a common.Address) {
	t.Helper()
	store, err := ledger.OpenLevelDB(ChainData(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key := stateKey(chain.AccountKey(a))
	raw, err := store.Get(key)
	if err != nil || raw == nil {
		t.Fatalf("account %s: %v", a, err)
	}
	var acct chain.Account
	if err := rlp.DecodeBytes(raw, &acct); err != nil {
		t.Fatal(err)
	}
	b := acct.Balance("CNY")
	b.Available += 100
	acct.SetBalance(b)
	raw, _ = rlp.EncodeToBytes(&acct)
	batch := store.NewBatch()
	batch.Put(key, raw)
	if err := store.Write(batch); err != nil {
		t.Fatal(err)
	}
}
