package node

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// opsMetrics are the series operators watch a consortium by
// (docs/OPERATIONS.md, "Metrics"): per validator, what the final chain
// shows it did, so every node reports the same counts for every
// validator; and what this node saw (round changes and their causes, sync
// lag, finality). The driver feeds it from its goroutine through
// finalBlock, status, invalidProposal and sawHeight.
type opsMetrics struct {
	n *Node

	proposals     *prometheus.CounterVec // {validator}: final blocks it proposed
	missed        *prometheus.CounterVec // {validator}: rounds it held the key in that ended without its block becoming final
	votes         *prometheus.CounterVec // {validator}: its precommits in the chain's certificates
	roundChanges  *prometheus.CounterVec // {cause}: rounds beyond 0 seen here
	poolRejected  *prometheus.CounterVec // {source, code}
	evidence      *prometheus.CounterVec // {offender}: accepted evidence transactions
	blockInterval prometheus.Histogram
	finality      prometheus.Histogram

	mu       sync.Mutex
	seed     common.Hash      // the seed of the next height to become final
	lastTime uint64           // header time of the last final block (ms)
	cur      consensus.Status // the core's last status
	invalid  map[uint32]bool  // rounds of the current height whose proposal the core refused

	lastFinal atomic.Int64 // wall time (UnixNano, node clock) the last block became final here
	seen      atomic.Pointer[seenHeight]
}

// seenHeight is the highest height of a peer's consensus message and when.
type seenHeight struct {
	height uint64
	at     time.Time
}

// Round-change causes.
const (
	causeTimeout         = "timeout"          // no acceptable proposal in time: the key holder was silent, slow or partitioned
	causeInvalidProposal = "invalid_proposal" // the key holder's block was refused (invalid, or stamped at an untimely time)
)

// validatorLabel is the label value naming a validator.
func validatorLabel(a common.Address) string { return a.Hex() }

func newOpsMetrics(n *Node, reg *prometheus.Registry) *opsMetrics {
	o := &opsMetrics{
		n: n,
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_validator_proposals_total",
			Help: "Final blocks each validator proposed (from the chain since this node started)."}, []string{"validator"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_validator_proposals_missed_total",
			Help: "Rounds each validator held the sovereign key in without its block becoming final (from the chain since this node started)."}, []string{"validator"}),
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_validator_votes_signed_total",
			Help: "Each validator's precommits in the chain's certificates (a block's LastCommit; from the chain since this node started)."}, []string{"validator"}),
		roundChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_consensus_round_changes_total",
			Help: "Rounds beyond 0 this node entered, by cause: timeout (no acceptable proposal in time) or invalid_proposal (the key holder's block was refused)."}, []string{"cause"}),
		poolRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_txpool_rejections_total",
			Help: "Transactions the pool refused, by source (rpc, gossip) and rejection code; already_known from gossip is not counted."}, []string{"source", "code"}),
		evidence: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sovereign_evidence_total",
			Help: "Accepted equivocation evidence in final blocks, by offending validator (since this node started)."}, []string{"offender"}),
		blockInterval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sovereign_block_interval_seconds",
			Help: "Time between consecutive final blocks' timestamps.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
		finality: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sovereign_block_finality_seconds",
			Help:    "From a block's timestamp to its becoming final here (blocks decided live; blocks synced from peers are left out).",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		invalid: map[uint32]bool{},
	}
	o.seed = n.ledger.State().Seed()
	o.lastTime = n.ledger.Head().Time
	o.lastFinal.Store(n.cfg.Clock.Now().UnixNano())
	// Every series exists from the start, at zero, so dashboards and
	// alerts see the validator that never proposed, not a missing series.
	for _, v := range n.ledger.Validators().Validators {
		l := validatorLabel(v.Address)
		o.proposals.WithLabelValues(l)
		o.missed.WithLabelValues(l)
		o.votes.WithLabelValues(l)
		o.evidence.WithLabelValues(l)
	}
	o.roundChanges.WithLabelValues(causeTimeout)
	o.roundChanges.WithLabelValues(causeInvalidProposal)
	for _, src := range []string{"rpc", "gossip"} {
		for _, e := range chain.AllRejectCodes {
			o.poolRejected.WithLabelValues(src, e.Code)
		}
	}
	reg.MustRegister(o.proposals, o.missed, o.votes, o.roundChanges, o.poolRejected, o.evidence, o.blockInterval, o.finality,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sovereign_sync_lag_heights",
			Help: "How many heights peers are deciding ahead of the height this node decides (0: in sync)."},
			func() float64 { return float64(o.syncLag()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sovereign_head_age_seconds",
			Help: "Time since the last final block's timestamp, by this node's clock."},
			func() float64 { return o.headAge().Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sovereign_ready",
			Help: "1 when /readyz answers ready (in sync, peers present, finalizing), else 0."},
			func() float64 {
				if n.readiness().Ready {
					return 1
				}
				return 0
			}),
		revealsCollector{n}, connectedCollector{n},
	)
	reg.MustRegister(newFeedbackCollector(n))
	n.backend.Refused = func(errs []error) { o.poolRejections("rpc", errs) }
	return o
}

// finalBlock counts what a block just committed shows: its proposer, the
// key holders of the rounds before its own, the precommits of its parent's
// certificate, accepted evidence, the interval since the parent and the
// time to finality.
func (o *opsMetrics) finalBlock(b *chain.Block, receipts []*chain.Receipt) {
	o.mu.Lock()
	defer o.mu.Unlock()
	h := b.Header
	o.proposals.WithLabelValues(validatorLabel(h.Proposer)).Inc()
	for _, v := range o.n.ledger.ValidatorsAt(h.Height).MissedHolders(o.seed, h.Round) {
		o.missed.WithLabelValues(validatorLabel(v)).Inc()
	}
	if h.LastCommit != nil {
		for _, s := range h.LastCommit.Sigs {
			o.votes.WithLabelValues(validatorLabel(s.Validator)).Inc()
		}
	}
	for i, tx := range b.Txs {
		if i >= len(receipts) || !receipts[i].OK() {
			continue
		}
		switch ev := tx.Body().(type) {
		case chain.Evidence:
			o.evidence.WithLabelValues(validatorLabel(ev.A.Validator)).Inc()
		case chain.ProposalEvidence:
			o.evidence.WithLabelValues(validatorLabel(ev.A.Proposer)).Inc()
		}
	}
	if o.lastTime != 0 && h.Time >= o.lastTime {
		o.blockInterval.Observe(float64(h.Time-o.lastTime) / 1000)
	}
	now := o.n.cfg.Clock.Now()
	if age := now.Sub(time.UnixMilli(int64(h.Time))); age >= 0 && age < o.n.cfg.Health.stallAfter(o.n.cfg.Genesis) {
		o.finality.Observe(age.Seconds())
	}
	o.lastTime = h.Time
	o.seed = o.n.ledger.State().Seed()
	o.lastFinal.Store(now.UnixNano())
}

// roundStatus counts the rounds beyond 0 the core entered since its last
// status, each by the cause of the round it left.
func (o *opsMetrics) roundStatus(s consensus.Status) {
	o.mu.Lock()
	defer o.mu.Unlock()
	prev := o.cur
	o.cur = s
	if s.Height != prev.Height {
		clear(o.invalid)
		if s.Round == 0 {
			return
		}
		prev.Round = 0 // a new height entered straight at a later round
	}
	for r := prev.Round; r < s.Round; r++ {
		cause := causeTimeout
		if o.invalid[r] {
			cause = causeInvalidProposal
		}
		o.roundChanges.WithLabelValues(cause).Inc()
	}
}

// invalidProposal notes that the core refused the block proposed at its
// height and round (ValidateBlock or CheckTimely failed).
func (o *opsMetrics) invalidProposal(b *chain.Block) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if b.Height() == o.cur.Height {
		o.invalid[b.Header.Round] = true
	}
}

// sawHeight notes the height of a peer's consensus message.
func (o *opsMetrics) sawHeight(h uint64) {
	now := o.n.cfg.Clock.Now()
	if s := o.seen.Load(); s != nil && s.height > h && now.Sub(s.at) < time.Minute {
		return
	}
	o.seen.Store(&seenHeight{height: h, at: now})
}

// syncLag is how far peers' messages of the last minute run ahead of the
// height this node decides.
func (o *opsMetrics) syncLag() uint64 {
	s := o.seen.Load()
	next := o.n.ledger.Head().Height + 1
	if s == nil || o.n.cfg.Clock.Now().Sub(s.at) > time.Minute || s.height <= next {
		return 0
	}
	return s.height - next
}

// headAge is the time since the head's timestamp.
func (o *opsMetrics) headAge() time.Duration {
	return o.n.cfg.Clock.Now().Sub(time.UnixMilli(int64(o.n.ledger.Head().Time)))
}

// sinceFinal is the time since a block last became final here (or since
// start).
func (o *opsMetrics) sinceFinal() time.Duration {
	return o.n.cfg.Clock.Now().Sub(time.Unix(0, o.lastFinal.Load()))
}

// poolRejections counts the pool's refusals of one Add.
func (o *opsMetrics) poolRejections(source string, errs []error) {
	for _, err := range errs {
		if err == nil || (source == "gossip" && errors.Is(err, chain.ErrAlreadyKnown)) {
			continue
		}
		o.poolRejected.WithLabelValues(source, chain.CodeOf(err)).Inc()
	}
}

// revealsCollector reports each validator's hash-chain reveals left before
// its chain rotates to the committed next one (or, without one, before it
// can no longer propose), read from committed state at scrape time.
type revealsCollector struct{ n *Node }

var revealsDesc = prometheus.NewDesc("sovereign_validator_reveals_left",
	"Reveals left in each validator's current hash chain, from committed state; at 0 it rotates to its next chain, or without one can no longer propose.",
	[]string{"validator"}, nil)

func (c revealsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- revealsDesc }

func (c revealsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.n.ledger.State()
	for _, v := range c.n.ledger.Validators().Validators {
		vs, ok := st.Validator(v.Address)
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(revealsDesc, prometheus.GaugeValue, float64(vs.Length-min(vs.Reveals, vs.Length)), validatorLabel(v.Address))
	}
}

// refusalsNoted is the node's consensus.App with every refused proposal
// noted for the round-change causes.
type refusalsNoted struct {
	consensus.App
	ops *opsMetrics
}

func (a refusalsNoted) ValidateBlock(b *chain.Block) error {
	err := a.App.ValidateBlock(b)
	if err != nil {
		a.ops.invalidProposal(b)
	}
	return err
}

func (a refusalsNoted) CheckTimely(b *chain.Block) error {
	err := a.App.CheckTimely(b)
	if err != nil {
		a.ops.invalidProposal(b)
	}
	return err
}

// connectedCollector reports, per validator, whether this node is that
// validator or is connected to it: which validators a node can hear from.
type connectedCollector struct{ n *Node }

var connectedDesc = prometheus.NewDesc("sovereign_p2p_validator_connected",
	"1 when this node is the validator or has a connection to it, else 0.", []string{"validator"}, nil)

func (c connectedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connectedDesc }

func (c connectedCollector) Collect(ch chan<- prometheus.Metric) {
	up := map[common.Address]bool{}
	if c.n.self != nil {
		up[*c.n.self] = true
	}
	if c.n.net != nil {
		for _, id := range c.n.net.Peers() {
			if a, err := p2p.AddressOf(id); err == nil {
				up[a] = true
			}
		}
	}
	for _, v := range c.n.ledger.Validators().Validators {
		value := 0.0
		if up[v.Address] {
			value = 1
		}
		ch <- prometheus.MustNewConstMetric(connectedDesc, prometheus.GaugeValue, value, validatorLabel(v.Address))
	}
}
