package txpool

import (
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// names maps transactions to labels so failures read as "a0 b0 a1".
type names map[*chain.Tx]string

func (n names) of(txs []*chain.Tx) string {
	out := make([]string, len(txs))
	for i, tx := range txs {
		out[i] = n[tx]
		if out[i] == "" {
			out[i] = "?"
		}
	}
	return strings.Join(out, " ")
}

func TestPendingOrder(t *testing.T) {
	a, b, c := newSigner(t), newSigner(t), newSigner(t)
	st := newState()
	for _, s := range []signer{a, b, c} {
		st.set(s.addr, "CNY", 1000)
	}
	big := func(s signer, nonce uint64) *chain.Tx { return s.pay(t, nonce, strings.Repeat("B", 2000), 0) }

	type step struct {
		label string
		tx    func() *chain.Tx
	}
	tests := []struct {
		name     string
		state    func(*fakeState)
		arrivals []step // each added by its own Add call, in order
		maxTxs   int
		maxBytes int // 0: unlimited
		want     string
	}{
		{
			name: "first come first served across senders",
			arrivals: []step{
				{"a0", func() *chain.Tx { return a.transfer(t, 0, 1) }},
				{"b0", func() *chain.Tx { return b.transfer(t, 0, 1) }},
				{"a1", func() *chain.Tx { return a.transfer(t, 1, 1) }},
				{"c0", func() *chain.Tx { return c.transfer(t, 0, 1) }},
				{"b1", func() *chain.Tx { return b.transfer(t, 1, 1) }},
			},
			want: "a0 b0 a1 c0 b1",
		},
		{
			name: "a nonce arriving early waits for its predecessor",
			arrivals: []step{
				{"a1", func() *chain.Tx { return a.transfer(t, 1, 1) }},
				{"b0", func() *chain.Tx { return b.transfer(t, 0, 1) }},
				{"a0", func() *chain.Tx { return a.transfer(t, 0, 1) }},
				{"c0", func() *chain.Tx { return c.transfer(t, 0, 1) }},
			},
			want: "b0 a0 a1 c0",
		},
		{
			name: "nothing after a gap",
			arrivals: []step{
				{"a0", func() *chain.Tx { return a.transfer(t, 0, 1) }},
				{"a2", func() *chain.Tx { return a.transfer(t, 2, 1) }},
				{"b1", func() *chain.Tx { return b.transfer(t, 1, 1) }},
			},
			want: "a0",
		},
		{
			name:  "runs start at the state nonce",
			state: func(s *fakeState) { s.nonces[a.addr] = 7 },
			arrivals: []step{
				{"a8", func() *chain.Tx { return a.transfer(t, 8, 1) }},
				{"a7", func() *chain.Tx { return a.transfer(t, 7, 1) }},
			},
			want: "a7 a8",
		},
		{
			name: "capped by count",
			arrivals: []step{
				{"a0", func() *chain.Tx { return a.transfer(t, 0, 1) }},
				{"b0", func() *chain.Tx { return b.transfer(t, 0, 1) }},
				{"a1", func() *chain.Tx { return a.transfer(t, 1, 1) }},
			},
			maxTxs: 2,
			want:   "a0 b0",
		},
		{
			name: "a sender too big for the space left yields to smaller ones",
			arrivals: []step{
				{"a0", func() *chain.Tx { return a.transfer(t, 0, 1) }},
				{"b0", func() *chain.Tx { return big(b, 0) }},
				{"b1", func() *chain.Tx { return b.transfer(t, 1, 1) }},
				{"c0", func() *chain.Tx { return c.transfer(t, 0, 1) }},
				{"a1", func() *chain.Tx { return a.transfer(t, 1, 1) }},
			},
			maxBytes: 1000,
			want:     "a0 c0 a1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := st.clone()
			if tc.state != nil {
				tc.state(s)
			}
			p := New(Config{Workers: 2}, testChain, s)
			n := names{}
			for _, step := range tc.arrivals {
				tx := step.tx()
				n[tx] = step.label
				mustAdd(t, p, tx)
			}
			maxTxs, maxBytes := tc.maxTxs, tc.maxBytes
			if maxTxs == 0 {
				maxTxs = 1 << 20
			}
			if maxBytes == 0 {
				maxBytes = 1 << 30
			}
			got := p.Pending(maxTxs, maxBytes)
			if n.of(got) != tc.want {
				t.Fatalf("Pending = %s, want %s", n.of(got), tc.want)
			}
			checkExecutable(t, s, got)
		})
	}
}

// Within one Add call, the batch order is the arrival order.
func TestPendingBatchOrderIsArrival(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	st := newState().set(a.addr, "CNY", 10).set(b.addr, "CNY", 10)
	p := New(Config{Workers: 4}, testChain, st)
	txs := []*chain.Tx{b.transfer(t, 0, 1), a.transfer(t, 0, 1), b.transfer(t, 1, 1), a.transfer(t, 1, 1)}
	mustAdd(t, p, txs...)
	got := p.Pending(10, 1<<20)
	for i := range txs {
		if got[i] != txs[i] {
			t.Fatalf("pending[%d] is not batch tx %d (or not the same pointer)", i, i)
		}
	}
}

func TestPendingBytesCap(t *testing.T) {
	a := newSigner(t)
	p := New(Config{Workers: 2}, testChain, newState().set(a.addr, "CNY", 10))
	txs := []*chain.Tx{a.transfer(t, 0, 1), a.transfer(t, 1, 1), a.transfer(t, 2, 1)}
	mustAdd(t, p, txs...)
	size := txs[0].Size()
	for _, tc := range []struct{ maxBytes, want int }{
		{0, 0}, {size - 1, 0}, {size, 1}, {2*size + size/2, 2}, {3 * size, 3},
	} {
		if got := p.Pending(10, tc.maxBytes); len(got) != tc.want {
			t.Errorf("Pending(10, %d): %d txs, want %d", tc.maxBytes, len(got), tc.want)
		}
	}
	if got := p.Pending(0, 1<<20); len(got) != 0 {
		t.Errorf("Pending(0, …) returned %d txs", len(got))
	}
}
