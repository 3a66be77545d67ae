package bench

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// nodesCPU sums the CPU seconds the nodes have used, read from each node's
// own Prometheus metrics at urls (process_cpu_seconds_total). ok is false
// when there are none or any node does not serve it (metrics elsewhere, or
// access control in front of them): the report then has no CPU figure
// rather than a partial one.
func nodesCPU(ctx context.Context, urls []string) (seconds float64, ok bool) {
	if len(urls) == 0 {
		return 0, false
	}
	for _, u := range urls {
		s, err := nodeCPU(ctx, u)
		if err != nil {
			return 0, false
		}
		seconds += s
	}
	return seconds, true
}

func nodeCPU(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", url, err)
	}
	f, found := families["process_cpu_seconds_total"]
	if !found || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("%s: no process_cpu_seconds_total", url)
	}
	return f.GetMetric()[0].GetCounter().GetValue(), nil
}
