package txpool

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestAddRejects covers every code Add can return. Each case admits pre,
// then adds tx and expects want.
func TestAddRejects(t *testing.T) {
	alice, bob, carol := newSigner(t), newSigner(t), newSigner(t)
	funded := func() *fakeState {
		return newState().set(alice.addr, "CNY", 100).set(bob.addr, "CNY", 100).set(carol.addr, "CNY", 100)
	}
	secp256k1N := crypto.S256().Params().N

	tests := []struct {
		name  string
		cfg   Config
		state func() *fakeState
		pre   func() []*chain.Tx
		tx    func() *chain.Tx
		want  *chain.RejectError
	}{
		{
			name: "wrong chain",
			tx: func() *chain.Tx {
				return alice.sign(t, chain.NewTx("other-chain", 0, chain.Transfer{To: sink, Asset: "CNY", Amount: 1}))
			},
			want: chain.ErrWrongChain,
		},
		{
			name: "unsigned",
			tx:   func() *chain.Tx { return chain.NewTx(testChain, 0, chain.Transfer{To: sink, Asset: "CNY", Amount: 1}) },
			want: chain.ErrBadSignature,
		},
		{
			name: "corrupt signature",
			tx: func() *chain.Tx {
				return reforge(t, alice.transfer(t, 0, 1), func(e *envelope) { e.Sigs[0][64] = 7 })
			},
			want: chain.ErrBadSignature,
		},
		{
			name: "truncated signature",
			tx: func() *chain.Tx {
				return reforge(t, alice.transfer(t, 0, 1), func(e *envelope) { e.Sigs[0] = e.Sigs[0][:64] })
			},
			want: chain.ErrBadSignature,
		},
		{
			name: "malleated high-s signature",
			tx: func() *chain.Tx {
				return reforge(t, alice.transfer(t, 0, 1), func(e *envelope) {
					sig := e.Sigs[0]
					s := new(big.Int).Sub(secp256k1N, new(big.Int).SetBytes(sig[32:64]))
					s.FillBytes(sig[32:64])
					sig[64] ^= 1
				})
			},
			want: chain.ErrBadSignature,
		},
		{
			name: "too many signatures",
			tx: func() *chain.Tx {
				tx := chain.NewTx(testChain, 0, chain.Transfer{To: sink, Asset: "CNY", Amount: 1})
				for range chain.MaxTxSigs + 1 {
					alice.sign(t, tx)
				}
				return tx
			},
			want: chain.ErrMalformed,
		},
		{
			name: "too large",
			tx: func() *chain.Tx {
				return alice.pay(t, 0, strings.Repeat("X", chain.MaxTxBytes), 1)
			},
			want: chain.ErrTooLarge,
		},
		{
			name:  "nonce below state",
			state: func() *fakeState { s := funded(); s.nonces[alice.addr] = 5; return s },
			tx:    func() *chain.Tx { return alice.transfer(t, 4, 1) },
			want:  chain.ErrBadNonce,
		},
		{
			name: "nonce taken by another tx",
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, 1)} },
			tx:   func() *chain.Tx { return alice.transfer(t, 0, 2) },
			want: chain.ErrBadNonce,
		},
		{
			name: "nonce beyond window",
			cfg:  Config{NonceWindow: 10},
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 10, 1)} }, // at the edge: fine
			tx:   func() *chain.Tx { return alice.transfer(t, 11, 1) },
			want: chain.ErrNonceTooHigh,
		},
		{
			name:  "nonce beyond window of advanced account",
			cfg:   Config{NonceWindow: 10},
			state: func() *fakeState { s := funded(); s.nonces[alice.addr] = 100; return s },
			tx:    func() *chain.Tx { return alice.transfer(t, 111, 1) },
			want:  chain.ErrNonceTooHigh,
		},
		{
			name: "debit above balance",
			tx:   func() *chain.Tx { return alice.transfer(t, 0, 101) },
			want: chain.ErrInsufficientFunds,
		},
		{
			name: "queued debits above balance",
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, 60), alice.transfer(t, 2, 40)} },
			tx:   func() *chain.Tx { return alice.transfer(t, 1, 1) },
			want: chain.ErrInsufficientFunds,
		},
		{
			name: "asset not held",
			tx:   func() *chain.Tx { return alice.pay(t, 0, "USD", 1) },
			want: chain.ErrInsufficientFunds,
		},
		{
			name: "debit overflows queue",
			state: func() *fakeState {
				return funded().set(alice.addr, "CNY", ^uint64(0))
			},
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, ^uint64(0)-1)} },
			tx:   func() *chain.Tx { return alice.transfer(t, 1, 2) },
			want: chain.ErrInsufficientFunds,
		},
		{
			name: "already in pool",
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, 1)} },
			tx:   nil, // resubmit pre[0] (as a fresh decode): see below
			want: chain.ErrAlreadyKnown,
		},
		{
			name: "pool full",
			cfg:  Config{MaxTxs: 2},
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, 1), bob.transfer(t, 0, 1)} },
			tx:   func() *chain.Tx { return carol.transfer(t, 0, 1) },
			want: chain.ErrPoolFull,
		},
		{
			name: "pool full of waiting txs, newcomer waits too",
			cfg:  Config{MaxTxs: 2},
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 1, 1), bob.transfer(t, 1, 1)} },
			tx:   func() *chain.Tx { return carol.transfer(t, 1, 1) },
			want: chain.ErrPoolFull,
		},
		{
			name: "sender limit",
			cfg:  Config{MaxPerSender: 2},
			pre:  func() []*chain.Tx { return []*chain.Tx{alice.transfer(t, 0, 1), alice.transfer(t, 1, 1)} },
			tx:   func() *chain.Tx { return alice.transfer(t, 2, 1) },
			want: chain.ErrSenderLimit,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := funded()
			if tc.state != nil {
				st = tc.state()
			}
			cfg := tc.cfg
			cfg.Workers = 2
			p := New(cfg, testChain, st)
			var pre []*chain.Tx
			if tc.pre != nil {
				pre = tc.pre()
				mustAdd(t, p, pre...)
			}
			var tx *chain.Tx
			if tc.tx != nil {
				tx = tc.tx()
			} else {
				tx = redecode(t, pre[0])
			}
			before := p.Len()
			err := p.Add([]*chain.Tx{tx})[0]
			if !isReject(err, tc.want) {
				t.Fatalf("Add: got %v (code %q), want %s", err, chain.CodeOf(err), tc.want.Code)
			}
			if err.Error() == tc.want.Code {
				t.Errorf("error %q carries no context", err)
			}
			if p.Len() != before || p.Has(tx.Hash()) && tc.want != chain.ErrAlreadyKnown {
				t.Errorf("rejected tx changed the pool: len %d → %d", before, p.Len())
			}
			code, ok := p.Rejected(tx.Hash())
			if tc.want == chain.ErrAlreadyKnown {
				if ok {
					t.Errorf("Rejected(known tx) = %q, want none: it is pending", code)
				}
			} else if !ok || code != tc.want.Code {
				t.Errorf("Rejected = %q, %v; want %q", code, ok, tc.want.Code)
			}
			checkInvariants(t, p)
		})
	}
}

func TestAddAcceptsAndReportsPerTx(t *testing.T) {
	alice, bob := newSigner(t), newSigner(t)
	st := newState().set(alice.addr, "CNY", 10).set(bob.addr, "CNY", 10)
	p := New(Config{Workers: 4}, testChain, st)
	txs := []*chain.Tx{
		alice.transfer(t, 0, 5),
		alice.transfer(t, 1, 6), // overdraws with the first
		bob.transfer(t, 0, 10),
		nil,
		alice.transfer(t, 1, 5),
		bob.sign(t, chain.NewTx(testChain, 1, chain.RegisterAccount{Account: sink})), // debits nothing
	}
	errs := p.Add(txs)
	want := []*chain.RejectError{nil, chain.ErrInsufficientFunds, nil, chain.ErrMalformed, nil, nil}
	for i, err := range errs {
		if want[i] == nil {
			if err != nil {
				t.Errorf("tx %d: %v", i, err)
			}
		} else if !isReject(err, want[i]) {
			t.Errorf("tx %d: got %v, want %s", i, err, want[i].Code)
		}
	}
	if p.Len() != 4 || p.Executable() != 4 {
		t.Fatalf("Len %d Executable %d, want 4 4", p.Len(), p.Executable())
	}
	for _, i := range []int{0, 2, 4, 5} {
		if p.Get(txs[i].Hash()) != txs[i] {
			t.Errorf("Get(tx %d) is not the admitted pointer", i)
		}
	}
	if p.Get(txs[1].Hash()) != nil || p.Has(txs[1].Hash()) {
		t.Errorf("rejected tx is in the pool")
	}
	checkInvariants(t, p)
}

// A transaction refused for a transient reason is admitted on a later try,
// and its status stops saying rejected.
func TestRejectedClearsOnAdmission(t *testing.T) {
	alice := newSigner(t)
	st := newState()
	p := New(Config{Workers: 2}, testChain, st)
	tx := alice.transfer(t, 0, 5)
	if err := p.Add([]*chain.Tx{tx})[0]; !isReject(err, chain.ErrInsufficientFunds) {
		t.Fatalf("Add: %v", err)
	}
	if code, _ := p.Rejected(tx.Hash()); code != chain.ErrInsufficientFunds.Code {
		t.Fatalf("Rejected = %q", code)
	}
	p.Update(st.clone().set(alice.addr, "CNY", 5), nil)
	mustAdd(t, p, tx)
	if code, ok := p.Rejected(tx.Hash()); ok {
		t.Fatalf("admitted tx still reported rejected: %q", code)
	}
}

func TestEvictWaitingForExecutable(t *testing.T) {
	alice, bob, carol, dave := newSigner(t), newSigner(t), newSigner(t), newSigner(t)
	st := newState()
	for _, s := range []signer{alice, bob, carol, dave} {
		st.set(s.addr, "CNY", 100)
	}
	p := New(Config{MaxTxs: 3, Workers: 2}, testChain, st)
	a1, a2, b0 := alice.transfer(t, 1, 1), alice.transfer(t, 2, 1), bob.transfer(t, 0, 1)
	mustAdd(t, p, a1, a2, b0)

	// Full. A waiting newcomer is refused ...
	if err := p.Add([]*chain.Tx{carol.transfer(t, 3, 1)})[0]; !isReject(err, chain.ErrPoolFull) {
		t.Fatalf("waiting tx into full pool: %v", err)
	}
	// ... an executable one evicts Alice's highest waiting nonce.
	c0 := carol.transfer(t, 0, 1)
	mustAdd(t, p, c0)
	if p.Has(a2.Hash()) || !p.Has(a1.Hash()) || p.Len() != 3 {
		t.Fatalf("eviction: has a1 %v a2 %v len %d", p.Has(a1.Hash()), p.Has(a2.Hash()), p.Len())
	}
	if code, _ := p.Rejected(a2.Hash()); code != chain.ErrPoolFull.Code {
		t.Fatalf("evicted tx status %q, want pool_full", code)
	}
	// Alice's own nonce 0 would make her nonce 1 executable: she may not
	// evict herself, and nobody else waits.
	if err := p.Add([]*chain.Tx{alice.transfer(t, 0, 1)})[0]; !isReject(err, chain.ErrPoolFull) {
		t.Fatalf("self-eviction: %v", err)
	}
	// Dave, executable, evicts Alice's last waiting tx.
	mustAdd(t, p, dave.transfer(t, 0, 1))
	if p.Has(a1.Hash()) || p.Executable() != 3 {
		t.Fatalf("second eviction: has a1 %v executable %d", p.Has(a1.Hash()), p.Executable())
	}
	checkInvariants(t, p)
}

func TestAddBatchErrorsAreWrapped(t *testing.T) {
	alice := newSigner(t)
	p := New(Config{Workers: 2}, testChain, newState())
	err := p.Add([]*chain.Tx{alice.transfer(t, 0, 1)})[0]
	var re *chain.RejectError
	if !errors.As(err, &re) || re != chain.ErrInsufficientFunds {
		t.Fatalf("errors.As: %v", err)
	}
}
