package indexer_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sovereign-ledger/sovereign/node/devnode"
)

// TestDocumentedQueries runs every SQL example in docs/INDEXER.md against
// an indexed chain: each must run, and the overdue, volume and statement
// examples must return rows.
func TestDocumentedQueries(t *testing.T) {
	doc, err := os.ReadFile("../docs/INDEXER.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 3 {
		t.Fatalf("docs/INDEXER.md has %d SQL examples, want at least 3", len(blocks))
	}
	c := devnode.Start(t, t.TempDir(), nil)
	c.Workload(4)
	pool := connect(t)
	index(t, pool, c.Node.RPCURL(), c.Node.Ledger().Head().Height)
	bankA := devnode.Addr(devnode.BankA).Bytes()
	alice := devnode.Addr(devnode.Alice).Bytes()
	for _, b := range blocks {
		q := b[1]
		var args []any
		switch {
		case strings.Contains(q, "$2"):
			args = []any{alice, "CNY"}
		case strings.Contains(q, "$1"):
			args = []any{bankA}
		}
		// A query about overdue records compares block-time deadlines
		// with PostgreSQL's now(): it finds rows once the feedback deadline
		// (2 s on this chain) has passed on the wall clock too.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			n := countRows(t, pool, q, args)
			if n > 0 || !strings.Contains(q, "-- expect rows") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no rows:\n%s", q)
			}
		}
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool, q string, args []any) int {
	t.Helper()
	rows, err := pool.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return n
}
