package indexer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/indexer"
	"github.com/sovereign-ledger/sovereign/indexer/internal/pgtest"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/rpc"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// connect opens a pool on a fresh database.
func connect(t testing.TB) *pgxpool.Pool { t.Helper(); return poolFor(t, pgtest.Database(t)) }

func poolFor(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// index runs the indexer in-process until height is written.
func index(t testing.TB, pool *pgxpool.Pool, rpcURL string, height uint64) {
	t.Helper()
	if err := indexer.Run(context.Background(), pool, indexer.Options{RPC: rpcURL, Until: height, Logger: quiet}); err != nil {
		t.Fatalf("index to %d: %v", height, err)
	}
}

// tables are every table the indexer writes.
var tables = []string{"indexer_cursor", "assets", "blocks", "transactions", "receipts", "events", "balance_changes",
	"accounts", "balances", "locks", "escrows", "payouts", "record_steps", "payment_requests", "schema_migrations"}

// dump is every table's rows as text, sorted: two dumps are equal exactly
// when the tables hold the same rows (schema_migrations without its
// applied_at time).
func dump(t testing.TB, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range tables {
		q := fmt.Sprintf(`SELECT coalesce(string_agg(r::text, E'\n' ORDER BY r::text), '') FROM %s r`, tbl)
		if tbl == "schema_migrations" {
			q = `SELECT string_agg(version || ' ' || name, ',' ORDER BY version) FROM schema_migrations`
		}
		var s string
		if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		out[tbl] = s
	}
	return out
}

func sameDump(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for _, tbl := range tables {
		if want[tbl] != got[tbl] {
			w, g := strings.Split(want[tbl], "\n"), strings.Split(got[tbl], "\n")
			t.Fatalf("%s: table %s differs: %d rows vs %d rows (first: %q vs %q)", what, tbl, len(w), len(g), firstDiff(w, g), firstDiff(g, w))
		}
	}
}

func firstDiff(a, b []string) string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	for _, s := range a {
		if !in[s] {
			return s
		}
	}
	return ""
}

func queryMap(t *testing.T, pool *pgxpool.Pool, q string) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func sum(units ...uint64) string {
	total := new(big.Int)
	for _, u := range units {
		total.Add(total, new(big.Int).SetUint64(u))
	}
	return total.String()
}

// TestTablesAgreeWithNode runs transfers, escrows (released, refunded, a
// mismatched feedback, a feedback naming no record), a withdrawal and its
// payout feedback, and a burst of transfers; indexes the chain into
// PostgreSQL; and checks the tables against the node's RPC: every block
// hash, every transaction's code, every account's balances and locks, the
// balance movements summing to every total, every escrow's status and
// amounts, every record's steps, the payout.
func TestTablesAgreeWithNode(t *testing.T) {
	// Released funds stay locked through the checks below, however slowly
	// a loaded machine runs them.
	c := devnode.Start(t, t.TempDir(), func(cfg *node.Config) {
		cfg.Genesis.Params.ProtectionPeriod = chain.Duration(10 * time.Minute)
	})
	ids := c.Workload(5)
	c.Burst(300)
	wd := c.Final(c.Client.Withdraw(c.Ctx, devnode.Bob, "CNY", "1.00", []byte("payout details"), nil))
	c.Final(c.Client.Feedback(c.Ctx, devnode.BankB, wd.Hash, "payout_executed", "CNY", "1.00", "B-PAY-1"))
	height := c.Node.Ledger().Head().Height
	pool := connect(t)
	index(t, pool, c.Node.RPCURL(), height)
	ctx, cl := c.Ctx, c.Client

	// Blocks and transactions.
	var blocks, txs, sumTxs int
	pool.QueryRow(context.Background(), `SELECT count(*), (SELECT count(*) FROM transactions), coalesce(sum(tx_count), 0) FROM blocks`).Scan(&blocks, &txs, &sumTxs)
	if uint64(blocks) != height+1 || txs != sumTxs || txs < 300 {
		t.Fatalf("%d blocks (want %d), %d transactions (blocks count %d)", blocks, height+1, txs, sumTxs)
	}
	hashes := queryMap(t, pool, `SELECT height::text, encode(hash, 'hex') FROM blocks`)
	codes := queryMap(t, pool, `SELECT encode(hash, 'hex'), code FROM transactions`)
	for h := uint64(0); h <= height; h++ {
		b, err := cl.BlockByNumber(ctx, rpc.Height(h), false)
		if err != nil {
			t.Fatal(err)
		}
		if hashes[fmt.Sprint(h)] != strings.TrimPrefix(b.Hash.Hex(), "0x") {
			t.Fatalf("block %d: indexed hash %s, node %s", h, hashes[fmt.Sprint(h)], b.Hash)
		}
		for _, th := range b.Transactions {
			tx, err := cl.Transaction(ctx, th)
			if err != nil {
				t.Fatal(err)
			}
			code, ok := codes[strings.TrimPrefix(th.Hex(), "0x")]
			if !ok || code != tx.Code {
				t.Fatalf("tx %s: indexed code %q (present %v), node %q", th, code, ok, tx.Code)
			}
		}
	}

	// Every account: the node's balances; the movements add up to its
	// totals; the locks table gives what the node reads as locked at its
	// head's time, and account_balances the same at the indexed head's.
	balances := queryMap(t, pool, `SELECT encode(address, 'hex') || '/' || asset, free || '/' || held FROM balances`)
	totals := queryMap(t, pool, `SELECT encode(account, 'hex') || '/' || asset, sum(available + held + locked)::text FROM balance_changes GROUP BY 1, account, asset`)
	accounts := queryMap(t, pool, `SELECT encode(address, 'hex'), nonce::text FROM accounts`)
	for _, k := range []common.Address{devnode.Addr(devnode.Alice), devnode.Addr(devnode.Bob), devnode.Addr(devnode.Carol), devnode.Addr(devnode.Dave)} {
		if _, ok := accounts[strings.ToLower(strings.TrimPrefix(k.Hex(), "0x"))]; !ok {
			t.Fatalf("account %s not indexed", k)
		}
	}
	lockedAt := func(addr common.Address, asset string, at uint64) string {
		var v string
		pool.QueryRow(context.Background(), `SELECT coalesce(sum(amount), 0)::text FROM locks WHERE address = $1 AND asset = $2 AND unlock_ms > $3`,
			addr.Bytes(), asset, int64(at)).Scan(&v)
		return v
	}
	moved, locked := 0, 0
	for hexAddr, nonce := range accounts {
		addr := common.HexToAddress(hexAddr)
		var a *rpc.Account
		var headTime uint64
		for { // the account and the head time it was read at
			before, err := cl.BlockByNumber(ctx, rpc.Latest, false)
			if err != nil {
				t.Fatal(err)
			}
			if a, err = cl.Account(ctx, addr, ""); err != nil {
				t.Fatal(err)
			}
			after, err := cl.BlockByNumber(ctx, rpc.Latest, false)
			if err != nil {
				t.Fatal(err)
			}
			if before.Height == after.Height {
				headTime = after.Time
				break
			}
		}
		if nonce != fmt.Sprint(a.Nonce) {
			t.Fatalf("account %s: indexed nonce %s, node %d", addr, nonce, a.Nonce)
		}
		for _, b := range a.Balances {
			key := hexAddr + "/" + b.Asset
			if want := sum(b.AvailableUnits, b.LockedUnits) + "/" + fmt.Sprint(b.HeldUnits); balances[key] != want {
				t.Fatalf("%s %s: indexed free/held %q, node %s", addr, b.Asset, balances[key], want)
			}
			total := sum(b.AvailableUnits, b.HeldUnits, b.LockedUnits)
			if got, ok := totals[key]; (ok || total != "0") && got != total {
				t.Fatalf("%s %s: movements sum to %q, node total %s", addr, b.Asset, got, total)
			}
			if got := lockedAt(addr, b.Asset, headTime); got != fmt.Sprint(b.LockedUnits) {
				t.Fatalf("%s %s: locks table has %s locked at %d, node %d", addr, b.Asset, got, headTime, b.LockedUnits)
			}
			if total != "0" {
				moved++
			}
			if b.LockedUnits > 0 {
				locked++
			}
		}
	}
	if moved < 4 || locked == 0 {
		t.Fatalf("%d non-zero holdings, %d locked ones checked: the workload should leave both", moved, locked)
	}
	var viewRows, viewBad int
	pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE v.available + v.locked <> b.free OR v.available < 0)
		FROM account_balances v JOIN balances b USING (address, asset)`).Scan(&viewRows, &viewBad)
	if viewRows != len(balances) || viewBad != 0 {
		t.Fatalf("account_balances: %d rows (balances %d), %d inconsistent", viewRows, len(balances), viewBad)
	}

	// Every escrow and its steps; the payout.
	escrows := queryMap(t, pool, `SELECT encode(id, 'hex'), status || '/' || amount || '/' || released || '/' || returned || '/' || opened_height || '/' || coalesce(ended_height::text, '-') FROM escrows`)
	steps := queryMap(t, pool, `SELECT encode(record, 'hex'), count(*) || '/' || count(matched_at) FROM record_steps GROUP BY record`)
	if len(escrows) != len(ids) {
		t.Fatalf("%d escrows indexed, %d opened", len(escrows), len(ids))
	}
	statuses := map[string]int{}
	for _, id := range ids {
		e, err := cl.Escrow(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ended := "-"
		if e.EndedHeight != nil {
			ended = fmt.Sprint(*e.EndedHeight)
		}
		key := strings.TrimPrefix(id.Hex(), "0x")
		want := fmt.Sprintf("%s/%d/%d/%d/%d/%s", e.Status, e.AmountUnits, e.ReleasedUnits, e.ReturnedUnits, e.OpenedHeight, ended)
		if escrows[key] != want {
			t.Fatalf("escrow %s: indexed %q, node %q", id, escrows[key], want)
		}
		matched := 0
		for _, s := range e.Steps {
			if s.Matched {
				matched++
			}
		}
		if want := fmt.Sprintf("%d/%d", len(e.Steps), matched); steps[key] != want {
			t.Fatalf("escrow %s steps: indexed %q, node %q", id, steps[key], want)
		}
		statuses[e.Status]++
	}
	if statuses["released"] == 0 || statuses["refunded"] == 0 {
		t.Fatalf("workload left escrows %v", statuses)
	}
	p, err := cl.Payout(ctx, wd.Hash)
	if err != nil {
		t.Fatal(err)
	}
	var payoutBank, payoutStep string
	pool.QueryRow(context.Background(), `SELECT encode(p.bank, 'hex'), s.kind || '/' || (s.matched_at IS NOT NULL)
		FROM payouts p JOIN record_steps s ON s.record = p.id WHERE p.id = $1`, wd.Hash.Bytes()).Scan(&payoutBank, &payoutStep)
	if common.HexToAddress(payoutBank) != p.Bank || payoutStep != "payout_executed/true" {
		t.Fatalf("payout: indexed bank %s step %q, node bank %s", payoutBank, payoutStep, p.Bank)
	}

	// Feedback: every matched step is a matched feedback; the exceptions are there.
	var matchedFeedback, matchedSteps, exceptions int
	pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM feedback WHERE matched), (SELECT count(*) FROM record_steps WHERE matched_at IS NOT NULL),
		(SELECT count(*) FROM feedback WHERE NOT matched)`).Scan(&matchedFeedback, &matchedSteps, &exceptions)
	if matchedFeedback != matchedSteps || exceptions < 2 {
		t.Fatalf("feedback: %d matched (steps matched %d), %d exceptions", matchedFeedback, matchedSteps, exceptions)
	}
}

// TestRerunAndConcurrentRunsChangeNothing indexes a chain, runs the
// indexer again over the same range (nothing changes), and indexes it into
// a second database with two indexers at once (identical tables).
func TestRerunAndConcurrentRunsChangeNothing(t *testing.T) {
	c := devnode.Start(t, t.TempDir(), nil)
	c.Workload(2)
	c.Burst(500)
	height := c.Node.Ledger().Head().Height
	once := connect(t)
	index(t, once, c.Node.RPCURL(), height)
	want := dump(t, once)
	index(t, once, c.Node.RPCURL(), height)
	sameDump(t, "second run over the same range", want, dump(t, once))

	twice := connect(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- indexer.Run(context.Background(), twice, indexer.Options{RPC: c.Node.RPCURL(), Until: height, Logger: quiet, Prefetch: 4})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sameDump(t, "two indexers at once", want, dump(t, twice))
}

// TestMigrations applies the schema twice (the second time nothing) and
// refuses a database whose schema is newer than the binary.
func TestMigrations(t *testing.T) {
	pool := connect(t)
	ctx := context.Background()
	ms, err := indexer.Migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations: %v (%d)", err, len(ms))
	}
	if applied, err := indexer.Migrate(ctx, pool); err != nil || len(applied) != len(ms) {
		t.Fatalf("first migrate: %v %v", applied, err)
	}
	if applied, err := indexer.Migrate(ctx, pool); err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: %v %v", applied, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Migrate(ctx, pool); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("newer schema: %v", err)
	}
}
