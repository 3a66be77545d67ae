package indexer_test

import (
	"context"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/node/devnode"
)

// BenchmarkIndex indexes a chain carrying SOV_BENCH_INDEX_TXS transfers
// (default 20,000) among 1,000 accounts, made by the load generator behind
// `sovereign bench`, from a node in this process into a fresh PostgreSQL
// database per iteration, and reports indexed transactions per second.
func BenchmarkIndex(b *testing.B) {
	c := devnode.Start(b, b.TempDir(), nil)
	c.Load("SOV_BENCH_INDEX_TXS", 20_000)
	height := c.Node.Ledger().Head().Height
	var txs int64
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pool := connect(b)
		b.StartTimer()
		start := time.Now()
		index(b, pool, c.Node.RPCURL(), height)
		took += time.Since(start)
		b.StopTimer()
		var count int64
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM transactions`).Scan(&count); err != nil {
			b.Fatal(err)
		}
		txs += count
		b.StartTimer()
	}
	b.ReportMetric(float64(txs)/took.Seconds(), "tx/s")
	b.ReportMetric(float64(height), "blocks")
}
