package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sovereign-ledger/sovereign/chain"
)

// HealthConfig tunes /readyz and the bank-feedback metrics.
type HealthConfig struct {
	// StallAfter: not ready when no block has become final here for this
	// long; 0: DefaultStallAfter. Never less than three empty-block
	// intervals, so an idle chain is not a stalled one.
	StallAfter time.Duration
	// MaxSyncLag: not ready when peers decide heights more than this many
	// ahead of this node; 0: DefaultMaxSyncLag.
	MaxSyncLag uint64
	// FeedbackWindow is how many latest heights' bank records the feedback
	// metrics count; 0: DefaultFeedbackWindow.
	FeedbackWindow uint64
}

// Defaults of HealthConfig.
const (
	DefaultStallAfter     = 30 * time.Second
	DefaultMaxSyncLag     = 2
	DefaultFeedbackWindow = 20_000
	// feedbackRefresh is how often the feedback metrics are recounted at
	// most: a count scans the window's records.
	feedbackRefresh = 30 * time.Second
)

func (h HealthConfig) stallAfter(g *chain.Genesis) time.Duration {
	d := h.StallAfter
	if d <= 0 {
		d = DefaultStallAfter
	}
	return max(d, 3*g.Params.EmptyBlockInterval.Std())
}

func (h HealthConfig) maxSyncLag() uint64 {
	if h.MaxSyncLag == 0 {
		return DefaultMaxSyncLag
	}
	return h.MaxSyncLag
}

// Readiness is the /readyz answer: ready when every check passes.
type Readiness struct {
	Ready  bool          `json:"ready"`
	Checks []HealthCheck `json:"checks"`
	Height uint64        `json:"height"` // the final height here
}

// HealthCheck is one readiness condition.
type HealthCheck struct {
	Name   string `json:"name"` // in_sync, peers, finalizing
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// readiness checks that the node is in sync (peers decide no more than
// MaxSyncLag heights ahead), has peers (when it is networked and not the
// only validator) and is finalizing (a block became final here within
// StallAfter).
func (n *Node) readiness() Readiness {
	r := Readiness{Height: n.ledger.Head().Height}
	add := func(name string, ok bool, detail string) {
		r.Checks = append(r.Checks, HealthCheck{Name: name, OK: ok, Detail: detail})
	}
	lag, maxLag := n.metrics.ops.syncLag(), n.cfg.Health.maxSyncLag()
	add("in_sync", lag <= maxLag, fmt.Sprintf("%d heights behind peers (at most %d)", lag, maxLag))
	if n.net != nil && (n.self == nil || n.ledger.Validators().Size() > 1) { // a lone validator has no one to hear from
		peers := n.peerCount()
		add("peers", peers > 0, fmt.Sprintf("%d peers connected", peers))
	}
	since, stall := n.metrics.ops.sinceFinal(), n.cfg.Health.stallAfter(n.cfg.Genesis)
	add("finalizing", since < stall, fmt.Sprintf("last block final here %s ago (at most %s)", since.Round(time.Millisecond), stall))
	r.Ready = true
	for _, c := range r.Checks {
		r.Ready = r.Ready && c.OK
	}
	return r
}

// opsHandler serves /metrics, /healthz and /readyz, and hands every other
// path to next (nil: not found). Load balancers probe /healthz (the
// process is up and serving) and /readyz (200 when ready, else 503, with
// the checks as JSON).
func (n *Node) opsHandler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", n.metrics.handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		r := n.readiness()
		w.Header().Set("Content-Type", "application/json")
		if !r.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(r)
	})
	if next != nil {
		mux.Handle("/", next)
	}
	return mux
}

// feedbackCollector reports each member bank's records created in the
// latest FeedbackWindow heights by where its feedback stands (matched,
// waiting, overdue, mismatch). Counting scans the window, so the counts
// are kept for feedbackRefresh between scrapes.
type feedbackCollector struct {
	n      *Node
	mu     sync.Mutex
	at     time.Time
	counts []prometheus.Metric
}

var feedbackDesc = prometheus.NewDesc("sovereign_bank_feedback_records",
	"Each member bank's records (escrows, payouts, unmatched feedback) created in the latest metrics.feedback-window heights, by feedback status: matched, waiting, overdue, mismatch.",
	[]string{"bank", "status"}, nil)

var feedbackErrors = prometheus.NewDesc("sovereign_bank_feedback_count_errors",
	"1 when the last count of a bank's feedback records failed (see the node log), else 0.", []string{"bank"}, nil)

func newFeedbackCollector(n *Node) *feedbackCollector { return &feedbackCollector{n: n} }

func (c *feedbackCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- feedbackDesc
	ch <- feedbackErrors
}

func (c *feedbackCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || time.Since(c.at) > feedbackRefresh {
		c.counts, c.at = c.count(), time.Now()
	}
	for _, m := range c.counts {
		ch <- m
	}
}

func (c *feedbackCollector) count() []prometheus.Metric {
	head := c.n.ledger.Head().Height
	from := uint64(0)
	w := c.n.cfg.Health.FeedbackWindow
	if w == 0 {
		w = DefaultFeedbackWindow
	}
	if head >= w {
		from = head - w + 1
	}
	var out []prometheus.Metric
	for _, b := range c.n.cfg.Genesis.Banks {
		label := validatorLabel(b.Address)
		counts, err := c.n.ledger.BankRecordCounts(b.Address, from, head)
		failed := 0.0
		if err != nil {
			c.n.log.Warn("count bank feedback records", "bank", b.Address, "err", err)
			failed = 1
		}
		for _, status := range []string{chain.BankMatched, chain.BankWaiting, chain.BankOverdue, chain.BankMismatch} {
			out = append(out, prometheus.MustNewConstMetric(feedbackDesc, prometheus.GaugeValue, float64(counts[status]), label, status))
		}
		out = append(out, prometheus.MustNewConstMetric(feedbackErrors, prometheus.GaugeValue, failed, label))
	}
	return out
}
