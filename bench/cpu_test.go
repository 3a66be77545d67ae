package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestNodesCPU sums process_cpu_seconds_total over the nodes, and gives no
// figure at all when one node does not serve it.
func TestNodesCPU(t *testing.T) {
	serve := func(body string, code int) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	metric := func(v float64) string {
		return fmt.Sprintf("# HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", v)
	}
	a, b := serve(metric(1.5), 200), serve(metric(2.25), 200)
	cfg := Config{RPC: []string{a, b + "/"}} // a node's metrics are beside its RPC by default
	cfg.fill()
	if got, ok := nodesCPU(context.Background(), cfg.Metrics); !ok || got != 3.75 {
		t.Fatalf("two nodes: %v %v, want 3.75", got, ok)
	}
	for name, url := range map[string]string{
		"no such series": serve("go_goroutines 3\n", 200),
		"refused":        serve("forbidden", 403),
	} {
		if _, ok := nodesCPU(context.Background(), []string{a + "/metrics", url + "/metrics"}); ok {
			t.Fatalf("%s: a CPU figure from a partial set of nodes", name)
		}
	}
}
