package node

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sovereign-ledger/sovereign/chain"
)

// metrics are the node's Prometheus series, served on /metrics beside RPC.
type metrics struct {
	reg           *prometheus.Registry
	finalHeight   prometheus.Gauge
	finalTxs      prometheus.Counter
	rejectedTxs   prometheus.Counter
	commitSeconds prometheus.Histogram
	signerSeconds prometheus.Histogram
	blockTxs      prometheus.Histogram
	round         prometheus.Gauge
	revealsLeft   prometheus.Gauge
	poolTxs       prometheus.GaugeFunc
	peers         prometheus.GaugeFunc
	ops           *opsMetrics // per-validator, consensus, sync and feedback series (opsmetrics.go)
}

func newMetrics(n *Node) *metrics {
	m := &metrics{
		reg:         prometheus.NewRegistry(),
		finalHeight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sovereign_final_height", Help: "Height of the last final block."}),
		finalTxs:    prometheus.NewCounter(prometheus.CounterOpts{Name: "sovereign_final_transactions_total", Help: "Transactions in final blocks."}),
		rejectedTxs: prometheus.NewCounter(prometheus.CounterOpts{Name: "sovereign_rejected_transactions_total", Help: "Transactions in final blocks whose receipt carries a rejection code."}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sovereign_block_commit_seconds", Help: "Time to execute (if not yet) and durably commit a final block.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		signerSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sovereign_signer_state_write_seconds",
			Help:    "Time to write and sync the signer state before a vote leaves (node/signerstate.go); a slow disk here delays this validator's votes.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sovereign_block_transactions", Help: "Transactions per final block.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		round: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sovereign_consensus_round", Help: "Current consensus round (above 0 means a key holder was silent)."}),
		revealsLeft: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sovereign_hashchain_reveals_left",
			Help: "Reveals left in this validator's hash chain (as of its last proposal); at 0 it can no longer produce blocks."}),
		poolTxs: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sovereign_txpool_transactions", Help: "Transactions waiting in the pool."},
			func() float64 { return float64(n.pool.Len()) }),
		peers: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sovereign_p2p_peers", Help: "Connected peers."},
			func() float64 { return float64(n.peerCount()) }),
	}
	m.reg.MustRegister(m.finalHeight, m.finalTxs, m.rejectedTxs, m.commitSeconds, m.signerSeconds, m.blockTxs, m.round, m.revealsLeft, m.poolTxs, m.peers,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for kind, c := range map[string]*atomic.Uint64{"tx": &chain.Recoveries.Tx, "consensus": &chain.Recoveries.Consensus} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sovereign_signature_recoveries_total",
			Help:        "secp256k1 signer recoveries in this process, by what was signed: each signature is recovered once per node (ADR 0056).",
			ConstLabels: prometheus.Labels{"kind": kind}}, func() float64 { return float64(c.Load()) }))
	}
	m.ops = newOpsMetrics(n, m.reg)
	return m
}

func (m *metrics) committed(txs, rejected int, took time.Duration, height uint64) {
	m.finalHeight.Set(float64(height))
	m.finalTxs.Add(float64(txs))
	m.rejectedTxs.Add(float64(rejected))
	m.blockTxs.Observe(float64(txs))
	m.commitSeconds.Observe(took.Seconds())
}
