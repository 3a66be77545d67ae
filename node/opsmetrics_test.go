package node

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// newIdleNode is an observer of a 4-validator devnet over a memory store,
// built but not started: its metrics are fed by hand.
func newIdleNode(t testing.TB) *Node {
	t.Helper()
	n, err := New(Config{DataDir: t.TempDir(), Genesis: devnet.DefaultGenesis(4), Store: ledger.NewMemStore(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestMissedProposalsAndVotes: a block final at round 2 is a proposal by
// its proposer and a miss for the key holders of rounds 0 and 1; its
// parent's certificate counts one vote per signer.
func TestMissedProposalsAndVotes(t *testing.T) {
	n := newIdleNode(t)
	o := n.metrics.ops
	order := n.ledger.Validators().HolderOrder(n.ledger.State().Seed())
	cert := &chain.Certificate{Height: 1, Sigs: []chain.CommitSig{{Validator: order[0]}, {Validator: order[3]}}}
	b := &chain.Block{Header: &chain.Header{Height: 2, Round: 2, Proposer: order[2], LastCommit: cert, Time: n.ledger.Head().Time + 1000}}
	o.finalBlock(b, nil)
	for i, v := range order {
		l := validatorLabel(v)
		wantProposals, wantMissed, wantVotes := 0.0, 0.0, 0.0
		switch i {
		case 0:
			wantMissed, wantVotes = 1, 1
		case 1:
			wantMissed = 1
		case 2:
			wantProposals = 1
		case 3:
			wantVotes = 1
		}
		if got := testutil.ToFloat64(o.proposals.WithLabelValues(l)); got != wantProposals {
			t.Errorf("holder %d: proposals %v, want %v", i, got, wantProposals)
		}
		if got := testutil.ToFloat64(o.missed.WithLabelValues(l)); got != wantMissed {
			t.Errorf("holder %d: missed %v, want %v", i, got, wantMissed)
		}
		if got := testutil.ToFloat64(o.votes.WithLabelValues(l)); got != wantVotes {
			t.Errorf("holder %d: votes %v, want %v", i, got, wantVotes)
		}
	}
	if c := testutil.CollectAndCount(o.blockInterval); c != 1 {
		t.Errorf("block interval series: %d", c)
	}
}

// TestRoundChangeCauses: each round beyond 0 is counted once, as an
// invalid proposal when the core refused the block of the round it left,
// else as a timeout.
func TestRoundChangeCauses(t *testing.T) {
	steps := []struct {
		name          string
		invalidRound  int // -1: none refused before this status
		height        uint64
		round         uint32
		timeout, badP float64 // totals after the step
	}{
		{"start", -1, 5, 0, 0, 0},
		{"refused proposal at round 0", 0, 5, 1, 0, 1},
		{"silent holder at round 1", -1, 5, 2, 1, 1},
		{"jump two rounds", -1, 5, 4, 3, 1},
		{"next height at round 0", -1, 6, 0, 3, 1},
		{"refused late proposal, then two rounds", 0, 6, 2, 4, 2},
		{"next height entered at round 1", -1, 7, 1, 5, 2},
		{"same status again", -1, 7, 1, 5, 2},
	}
	n := newIdleNode(t)
	o := n.metrics.ops
	for _, s := range steps {
		if s.invalidRound >= 0 {
			o.invalidProposal(&chain.Block{Header: &chain.Header{Height: o.cur.Height, Round: uint32(s.invalidRound)}})
		}
		o.roundStatus(consensus.Status{Height: s.height, Round: s.round})
		timeout := testutil.ToFloat64(o.roundChanges.WithLabelValues(causeTimeout))
		bad := testutil.ToFloat64(o.roundChanges.WithLabelValues(causeInvalidProposal))
		if timeout != s.timeout || bad != s.badP {
			t.Fatalf("%s: timeout %v invalid_proposal %v, want %v %v", s.name, timeout, bad, s.timeout, s.badP)
		}
	}
}

// TestReadiness: a fresh node is ready; peers deciding far ahead, or no
// block final for longer than StallAfter, make /readyz answer 503 naming
// the failed check, while /healthz stays 200.
func TestReadiness(t *testing.T) {
	n := newIdleNode(t)
	h := n.opsHandler(nil)
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		w := &recorder{header: http.Header{}}
		h.ServeHTTP(w, req)
		return w.code, w.body.String()
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Fatalf("fresh node: %d %s", code, body)
	}
	n.metrics.ops.sawHeight(n.ledger.Head().Height + 1 + DefaultMaxSyncLag + 1)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `{"name":"in_sync","ok":false`) {
		t.Fatalf("behind: %d %s", code, body)
	}
	n.metrics.ops.seen.Store(nil)
	n.metrics.ops.lastFinal.Store(time.Now().Add(-DefaultStallAfter - time.Second).UnixNano())
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `{"name":"finalizing","ok":false`) || strings.Contains(body, `"in_sync","ok":false`) {
		t.Fatalf("stalled: %d %s", code, body)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
}

type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(c int) { r.code = c }

// TestDashboardMetricsExist runs a real validator that finalizes blocks
// and refuses a transaction, then checks that every metric the Grafana
// dashboard (docs/grafana/sovereign.json) names is on its /metrics, that
// the per-validator and per-bank series carry the values the chain shows,
// and that /healthz and /readyz answer beside it.
func TestDashboardMetricsExist(t *testing.T) {
	n := startNode(t, t.TempDir())
	defer n.Close()
	client, err := gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	alice := devnet.Key(devnet.Seed, "customer", 0)
	stale := chain.NewTx("sovereign-devnet", 0, chain.Transfer{To: devnet.Address(devnet.Seed, "customer", 1), Asset: "CNY", Amount: 1})
	stale.Sign(alice)
	var h common.Hash
	if err := client.Call(&h, "sov_sendRawTransaction", hexutil.Bytes(stale.Bytes())); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	spent := func() bool {
		a, ok := n.ledger.State().Account(devnet.Address(devnet.Seed, "customer", 0))
		return ok && a.Nonce > 0
	}
	for n.ledger.Head().Height < 4 || !spent() {
		if time.Now().After(deadline) {
			t.Fatalf("chain at height %d", n.ledger.Head().Height)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Another transaction with the spent nonce is refused by the pool.
	again := chain.NewTx("sovereign-devnet", 0, chain.Transfer{To: devnet.Address(devnet.Seed, "customer", 1), Asset: "CNY", Amount: 2})
	again.Sign(alice)
	err = client.Call(&h, "sov_sendRawTransaction", hexutil.Bytes(again.Bytes()))
	if err == nil {
		t.Fatal("resubmitted transaction admitted")
	}

	m := scrape(t, n.RPCURL()+"/metrics")
	names := map[string]bool{}
	for k := range m {
		name, _, _ := strings.Cut(k, "{")
		names[name] = true
	}
	raw, err := os.ReadFile("../docs/grafana/sovereign.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	metricName := regexp.MustCompile(`\bsovereign_[a-z0-9_]+`)
	seen := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				seen++
				if !names[name] {
					t.Errorf("panel %q names %s, which /metrics does not serve", p.Title, name)
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d metric names found in the dashboard", seen)
	}

	self := validatorLabel(*n.self)
	for series, atLeast := range map[string]float64{
		`sovereign_validator_proposals_total{validator="` + self + `"}`:                                                           4,
		`sovereign_validator_votes_signed_total{validator="` + self + `"}`:                                                        3,
		`sovereign_validator_proposals_missed_total{validator="` + self + `"}`:                                                    0,
		`sovereign_txpool_rejections_total{code="bad_nonce",source="rpc"}`:                                                        1,
		`sovereign_validator_reveals_left{validator="` + self + `"}`:                                                              1,
		`sovereign_bank_feedback_records{bank="` + validatorLabel(devnet.Address(devnet.Seed, "bank", 0)) + `",status="overdue"}`: 0,
		`sovereign_ready`: 1,
	} {
		v, ok := m[series]
		if !ok || v < atLeast {
			t.Errorf("%s = %v (present %v), want at least %v", series, v, ok, atLeast)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(n.RPCURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %s", path, resp.Status)
		}
	}
}

// checkFeedbackMetrics: the feedback metrics of each bank equal its
// reconciliation report's counts (the chain's whole history lies inside
// the default window here).
func checkFeedbackMetrics(t *testing.T, n *Node, reports map[common.Address]*rpc.Reconciliation) {
	t.Helper()
	m := scrape(t, n.MetricsURL())
	for bank, rec := range reports {
		want := map[string]int{chain.BankMatched: len(rec.Matched), chain.BankWaiting: len(rec.Waiting),
			chain.BankOverdue: len(rec.Overdue), chain.BankMismatch: len(rec.Mismatched)}
		total := 0
		for status, n := range want {
			total += n
			series := `sovereign_bank_feedback_records{bank="` + validatorLabel(bank) + `",status="` + status + `"}`
			if got, ok := m[series]; !ok || got != float64(n) {
				t.Errorf("%s = %v (present %v), reconciliation says %d", series, got, ok, n)
			}
		}
		if total == 0 {
			t.Errorf("bank %s has no records: the comparison proves nothing", bank)
		}
	}
}
