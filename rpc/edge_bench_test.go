package rpc_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/internal/cputime"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/rpc/flood"
)

// BenchmarkGetAccount is sov_getAccount over HTTP keep-alive on loopback,
// with access control off (no token) and on (an account token for the
// account read, verified and checked on every request). The rate limit is
// off so that it measures the server, not the limit. cpu-µs/op is the CPU
// of client and server together per call.
func BenchmarkGetAccount(b *testing.B) {
	for _, access := range []string{"off", "on"} {
		b.Run("access="+access, func(b *testing.B) {
			cfg := rpc.Config{RequestRate: -1}
			if access == "on" {
				cfg.AuthSecret = testSecret
			}
			e := startEdge(b, cfg)
			tok := ""
			if access == "on" {
				tok = token(b, rpc.RoleAccount, e.fx.Alice)
			}
			body := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"sov_getAccount","params":["%s"]}`, e.fx.Alice.Hex()))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.SetParallelism(4)
			cpu0 := cputime.Used()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if tok != "" {
						req.Header.Set("Authorization", "Bearer "+tok)
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"balances"`)) {
						b.Fatalf("HTTP %d: %s", resp.StatusCode, out)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((cputime.Used()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkSubscriptionFloodMemory asks 50,000 subscriptions on one
// connection with the per-connection limit at its default and raised to
// 50,000 (what the node did before the limit), and reports the process's
// heap and goroutines while they are held. Run with -benchtime=1x.
func BenchmarkSubscriptionFloodMemory(b *testing.B) {
	const subs = 50_000
	for _, limit := range []int{rpc.DefaultMaxSubscriptions, subs} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for range b.N {
				e := startEdge(b, rpc.Config{RequestRate: -1, MaxSubscriptions: limit, MaxSubscriptionsTotal: subs})
				before := readMemory()
				c, ans, err := flood.Subscriptions(e.ws, nil, subs)
				if err != nil {
					b.Fatal(err)
				}
				during := readMemory()
				b.ReportMetric(float64(during.heap-min(before.heap, during.heap))/(1<<20), "heap-MiB")
				b.ReportMetric(float64(during.stacks-min(before.stacks, during.stacks))/(1<<20), "stack-MiB")
				b.ReportMetric(float64(during.goroutines-before.goroutines), "goroutines")
				b.ReportMetric(float64(ans.Accepted), "subscriptions")
				c.Close()
				for deadline := time.Now().Add(10 * time.Second); e.srv.Stats().Subscriptions > 0 && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// BenchmarkParseToken is the verification every request with a token pays.
func BenchmarkParseToken(b *testing.B) {
	tok, err := rpc.MintToken(testSecret, rpc.Claims{Role: rpc.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rpc.ParseToken(testSecret, tok, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
