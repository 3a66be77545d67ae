package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/internal/cputime"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// benchTxs is the benchmark chain's size: SOV_AUDIT_BENCH_TXS, default
// 50,000 (the figures in docs/PERFORMANCE.md use 1,000,000).
func benchTxs(b *testing.B) int {
	n := 50_000
	if s := os.Getenv("SOV_AUDIT_BENCH_TXS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("SOV_AUDIT_BENCH_TXS=%q: %v", s, err)
		}
	}
	return n
}

// benchFile is the chain file of n transfers in blocks of 5,000, built once
// and kept in the temp dir (or at SOV_AUDIT_BENCH_FILE) for later runs.
func benchFile(b *testing.B, n int) string {
	path := os.Getenv("SOV_AUDIT_BENCH_FILE")
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("sovereign-audit-bench-%d.sovx", n))
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building %d transfers into %s", n, path)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if err := chaingen.WriteTransfers(f, n, 5000); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// TestWriteBenchChain writes the benchmark chain file when
// SOV_AUDIT_BENCH_OUT names a path (for timing the binary: docs/PERFORMANCE.md).
func TestWriteBenchChain(t *testing.T) {
	out := os.Getenv("SOV_AUDIT_BENCH_OUT")
	if out == "" {
		t.Skip("SOV_AUDIT_BENCH_OUT not set")
	}
	n := 1_000_000
	if s := os.Getenv("SOV_AUDIT_BENCH_TXS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := chaingen.WriteTransfers(f, n, 5000); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAudit(b *testing.B) {
	n := benchTxs(b)
	path := benchFile(b, n)
	b.ResetTimer()
	cpu0 := cputime.Used()
	for i := 0; i < b.N; i++ {
		src, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := Run(context.Background(), src, Config{})
		src.Close()
		if err != nil || !rep.Passed || rep.Chain.Txs != uint64(n) {
			b.Fatalf("audit: %v %v", err, rep.First())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	reportCPU(b, cputime.Used()-cpu0, n*b.N)
}

// reportCPU adds the process CPU time (user + system, every thread) per
// transaction, and the throughput two cores would give if that CPU were
// spread over both and nothing else ran (2 s of CPU a second / CPU per
// transaction): the figure a shared machine distorts least.
func reportCPU(b *testing.B, cpu time.Duration, txs int) {
	if cpu <= 0 || txs == 0 {
		return
	}
	per := cpu.Seconds() / float64(txs)
	b.ReportMetric(per*1e6, "cpu-µs/tx")
	b.ReportMetric(2/per, "2core-tx/s")
}

// BenchmarkRecoveryFloor is the bare secp256k1 recovery (crypto.Ecrecover,
// one signature per op, on every core as -cpu says), measured like
// BenchmarkAudit: a transfer carries one signature, so its cpu-µs/op is the
// floor under the audit's cpu-µs/tx at the same moment on the same machine.
func BenchmarkRecoveryFloor(b *testing.B) {
	key, _ := crypto.GenerateKey()
	hash := crypto.Keccak256([]byte("floor"))
	sig, err := crypto.Sign(hash, key)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cputime.Used()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := crypto.Ecrecover(hash, sig); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu := cputime.Used() - cpu0
	b.ReportMetric(cpu.Seconds()/float64(b.N)*1e6, "cpu-µs/op")
}

// BenchmarkImportExport imports the chain file into a fresh data dir and
// exports it back, timing each.
func BenchmarkImportExport(b *testing.B) {
	n := benchTxs(b)
	path := benchFile(b, n)
	g := chaingen.Genesis(4) // derives the validators' hash chains: not export's work
	var importSec, exportSec float64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		src, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		store, err := ledger.OpenLevelDB(ChainData(dir))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := Import(context.Background(), src, store, Config{})
		src.Close()
		store.Close()
		if err != nil || !rep.Passed {
			b.Fatalf("import: %v %v", err, rep.First())
		}
		importSec += rep.Seconds
		dd, err := OpenDataDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, "out.sovx"))
		if err != nil {
			b.Fatal(err)
		}
		start := b.Elapsed()
		if _, err := Export(context.Background(), dd, g, out, nil); err != nil {
			b.Fatal(err)
		}
		exportSec += (b.Elapsed() - start).Seconds()
		out.Close()
		dd.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/importSec, "import-tx/s")
	b.ReportMetric(float64(n)*float64(b.N)/exportSec, "export-tx/s")
}
