package snapshot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// The benchmarks share one chain of SOV_SNAPSHOT_BENCH_ACCOUNTS accounts
// (default 100,000) on goleveldb, built once per process.
var (
	benchOnce     sync.Once
	benchChain    *chaingen.Chain
	benchFile     []byte
	benchAccounts int
)

func benchFixture(b *testing.B) (*chaingen.Chain, []byte) {
	benchOnce.Do(func() {
		benchAccounts = 100_000
		if n, _ := strconv.Atoi(os.Getenv("SOV_SNAPSHOT_BENCH_ACCOUNTS")); n > 0 {
			benchAccounts = n
		}
		dir, err := os.MkdirTemp("", "snapshot-bench-")
		if err != nil {
			b.Fatal(err)
		}
		store, err := ledger.OpenLevelDB(filepath.Join(dir, "source"))
		if err != nil {
			b.Fatal(err)
		}
		benchChain = registerAccounts(b, store, benchAccounts, 5000)
		var buf bytes.Buffer
		if _, _, err := Export(context.Background(), benchChain.Ledger.DB(), ExportOptions{TmpDir: dir}, &buf); err != nil {
			b.Fatal(err)
		}
		benchFile = buf.Bytes()
	})
	return benchChain, benchFile
}

// BenchmarkSnapshotExport exports the head of a goleveldb store.
func BenchmarkSnapshotExport(b *testing.B) {
	c, _ := benchFixture(b)
	dir := b.TempDir()
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		f, err := os.Create(filepath.Join(dir, "out.sovsnap"))
		if err != nil {
			b.Fatal(err)
		}
		_, stats, err := Export(context.Background(), c.Ledger.DB(), ExportOptions{TmpDir: dir}, f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		n = stats.Bytes
	}
	b.ReportMetric(float64(n)/float64(benchAccounts), "bytes/account")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(benchAccounts), "µs/account")
}

// BenchmarkSnapshotImport verifies and imports the snapshot into a fresh
// goleveldb store.
func BenchmarkSnapshotImport(b *testing.B) {
	c, raw := benchFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		store, err := ledger.OpenLevelDB(filepath.Join(dir, "db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, _, err := ImportFile(store, Trust{Genesis: c.Genesis}, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(benchAccounts), "µs/account")
}
