package node

import (
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// BenchmarkOpsFinalBlock is what the operations metrics add to each
// commit: a block at round 1 (one missed holder) with a 4-signature
// parent certificate.
func BenchmarkOpsFinalBlock(b *testing.B) {
	n := newIdleNode(b)
	vs := n.ledger.Validators().Validators
	cert := &chain.Certificate{Height: 1}
	for _, v := range vs {
		cert.Sigs = append(cert.Sigs, chain.CommitSig{Validator: v.Address})
	}
	blk := &chain.Block{Header: &chain.Header{Height: 2, Round: 1, Proposer: vs[0].Address, LastCommit: cert, Time: n.ledger.Head().Time + 1000}}
	b.ReportAllocs()
	for b.Loop() {
		n.metrics.ops.finalBlock(blk, nil)
	}
}

// BenchmarkScrape is one /metrics collection of a 4-validator node
// (feedback counts cached between scrapes, as in production).
func BenchmarkScrape(b *testing.B) {
	n := newIdleNode(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.metrics.reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
