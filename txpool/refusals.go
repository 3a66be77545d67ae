package txpool

import (
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
)

// DefaultLogEvery is how often at most the pool logs its summary of
// refused transactions.
const DefaultLogEvery = 10 * time.Second

// refusalLog counts the pool's refusals by code and writes them as one
// summary line at most every interval: a flood of junk transactions costs
// a counter increment each, never a log line each.
type refusalLog struct {
	log   *slog.Logger // nil: count only
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	counts map[string]int
	total  int
	since  time.Time // start of the current interval
}

func newRefusalLog(log *slog.Logger, every time.Duration) *refusalLog {
	return &refusalLog{log: log, every: every, now: time.Now, counts: map[string]int{}}
}

// note counts one refusal.
func (r *refusalLog) note(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.total == 0 {
		r.since = r.now()
	}
	r.counts[chain.CodeOf(err)]++
	r.total++
}

// flush writes the summary if the interval has passed since the last one.
func (r *refusalLog) flush() {
	r.mu.Lock()
	if r.total == 0 || r.now().Sub(r.since) < r.every {
		r.mu.Unlock()
		return
	}
	codes := make([]string, 0, len(r.counts))
	for c := range r.counts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	attrs := []any{"total", r.total, "over", r.now().Sub(r.since).Round(time.Second)}
	for _, c := range codes {
		attrs = append(attrs, c, r.counts[c])
	}
	clear(r.counts)
	r.total = 0
	r.mu.Unlock()
	if r.log != nil {
		r.log.Info("transactions refused", attrs...)
	}
}
