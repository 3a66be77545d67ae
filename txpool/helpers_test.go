package txpool

import (
	"crypto/ecdsa"
	"errors"
	"maps"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/sovereign-ledger/sovereign/chain"
)

const testChain = "sov-test"

// tb is what the helpers need of *testing.T, *testing.B and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// fakeState is an in-memory StateView. Pools get clones, so a test can
// build the next block's state without touching the one a pool reads.
type fakeState struct {
	nonces   map[common.Address]uint64
	balances map[common.Address]map[string]uint64
}

func newState() *fakeState {
	return &fakeState{nonces: map[common.Address]uint64{}, balances: map[common.Address]map[string]uint64{}}
}

func (s *fakeState) Nonce(a common.Address) uint64 { return s.nonces[a] }

func (s *fakeState) Available(a common.Address, asset string) uint64 { return s.balances[a][asset] }

// Locked: a fakeState holds no funds in their protection period (lockedState does).
func (s *fakeState) Locked(common.Address, string) uint64 { return 0 }

// Check: a fakeState has no ledger rules (admission_test.go runs the real ones).
func (s *fakeState) Check(*chain.Tx) error { return nil }

func (s *fakeState) clone() *fakeState {
	c := newState()
	c.nonces = maps.Clone(s.nonces)
	for a, b := range s.balances {
		c.balances[a] = maps.Clone(b)
	}
	return c
}

func (s *fakeState) set(a common.Address, asset string, v uint64) *fakeState {
	if s.balances[a] == nil {
		s.balances[a] = map[string]uint64{}
	}
	s.balances[a][asset] = v
	return s
}

// apply runs txs as a block would: nonce up, debit the sender, credit the
// recipient of a transfer. It fails the test on a nonce gap or overdraft.
func (s *fakeState) apply(t tb, txs []*chain.Tx) {
	t.Helper()
	for _, tx := range txs {
		from := mustSender(t, tx)
		if tx.Nonce() != s.nonces[from] {
			t.Fatalf("apply: %s nonce %d, state expects %d", from, tx.Nonce(), s.nonces[from])
		}
		s.nonces[from]++
		asset, amount := tx.Debit()
		if amount == 0 {
			continue
		}
		have := s.balances[from][asset]
		if have < amount {
			t.Fatalf("apply: %s overdraws %s: %d > %d", from, asset, amount, have)
		}
		s.set(from, asset, have-amount)
		if tr, ok := tx.Body().(chain.Transfer); ok {
			s.set(tr.To, asset, s.balances[tr.To][asset]+amount)
		}
	}
}

func mustSender(t tb, tx *chain.Tx) common.Address {
	t.Helper()
	from, err := tx.Sender()
	if err != nil {
		t.Fatalf("sender: %v", err)
	}
	return from
}

// sink receives test transfers; it never sends.
var sink = common.HexToAddress("0x00000000000000000000000000000000005e1f")

type signer struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

func newSigner(t tb) signer {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return signer{key, crypto.PubkeyToAddress(key.PublicKey)}
}

func newSigners(t tb, n int) []signer {
	out := make([]signer, n)
	for i := range out {
		out[i] = newSigner(t)
	}
	return out
}

// sign signs tx with s and returns it.
func (s signer) sign(t tb, tx *chain.Tx) *chain.Tx {
	t.Helper()
	if err := tx.Sign(s.key); err != nil {
		t.Fatal(err)
	}
	return tx
}

// transfer is a signed CNY transfer to sink.
func (s signer) transfer(t tb, nonce, amount uint64) *chain.Tx {
	return s.pay(t, nonce, "CNY", amount)
}

func (s signer) pay(t tb, nonce uint64, asset string, amount uint64) *chain.Tx {
	return s.sign(t, chain.NewTx(testChain, nonce, chain.Transfer{To: sink, Asset: asset, Amount: amount}))
}

// redecode returns a fresh copy of tx through its encoding: same hash, no
// cached signers.
func redecode(t tb, tx *chain.Tx) *chain.Tx {
	t.Helper()
	cp, err := chain.DecodeTx(tx.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// envelope mirrors chain's wire form so tests can forge signatures.
type envelope struct {
	ChainID string
	Type    chain.TxType
	Nonce   uint64
	Payload []byte
	Sigs    [][]byte
}

// reforge re-encodes tx after edit changes its envelope, and decodes it.
func reforge(t tb, tx *chain.Tx, edit func(*envelope)) *chain.Tx {
	t.Helper()
	var env envelope
	if err := rlp.DecodeBytes(tx.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	edit(&env)
	raw, err := rlp.EncodeToBytes(&env)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chain.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustAdd adds txs and fails the test on any rejection.
func mustAdd(t tb, p *Pool, txs ...*chain.Tx) {
	t.Helper()
	for i, err := range p.Add(txs) {
		if err != nil {
			t.Fatalf("add tx %d (nonce %d): %v", i, txs[i].Nonce(), err)
		}
	}
}

// recoverCounter wraps a pool's signature recovery and counts the calls
// per transaction hash.
type recoverCounter struct {
	mu    sync.Mutex
	calls map[common.Hash]int
}

func countRecoveries(p *Pool) *recoverCounter {
	c := &recoverCounter{calls: map[common.Hash]int{}}
	inner := p.recover
	p.recover = func(tx *chain.Tx) ([]common.Address, error) {
		c.mu.Lock()
		c.calls[tx.Hash()]++
		c.mu.Unlock()
		return inner(tx)
	}
	return c
}

func (c *recoverCounter) get(h common.Hash) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[h]
}

// checkInvariants verifies the pool's internal bookkeeping against a full
// recount.
func checkInvariants(t tb, p *Pool) {
	t.Helper()
	p.mu.RLock()
	defer p.mu.RUnlock()
	count, exec, gapped := 0, 0, 0
	for addr, a := range p.senders {
		if a.addr != addr || len(a.txs) == 0 {
			t.Fatalf("sender %s: bad account (addr %s, %d txs)", addr, a.addr, len(a.txs))
		}
		if n := len(a.txs); n > p.cfg.MaxPerSender {
			t.Fatalf("sender %s holds %d > %d", addr, n, p.cfg.MaxPerSender)
		}
		if a.marked != 0 {
			t.Fatalf("sender %s: %d stale include marks", addr, a.marked)
		}
		if a.base != p.state.Nonce(addr) {
			t.Fatalf("sender %s base %d, state nonce %d", addr, a.base, p.state.Nonce(addr))
		}
		sums := map[string]uint64{}
		run := 0
		for i, e := range a.txs {
			if p.all[e.hash] != e || e.acct != a {
				t.Fatalf("sender %s tx %d not indexed", addr, i)
			}
			if i > 0 && a.txs[i-1].nonce >= e.nonce {
				t.Fatalf("sender %s nonces not increasing", addr)
			}
			if e.nonce < a.base {
				t.Fatalf("sender %s holds stale nonce %d < %d", addr, e.nonce, a.base)
			}
			if run == i && e.nonce == a.base+uint64(i) {
				run++
			}
			sums[e.asset] += e.amount
		}
		if run != a.run {
			t.Fatalf("sender %s run %d, recount %d", addr, a.run, run)
		}
		for asset, sum := range sums {
			if asset == "" {
				continue
			}
			if a.debited(asset) != sum {
				t.Fatalf("sender %s debits %s %d, recount %d", addr, asset, a.debited(asset), sum)
			}
			if avail := p.state.Available(addr, asset); sum > avail {
				t.Fatalf("sender %s queues %d %s > available %d", addr, sum, asset, avail)
			}
		}
		if (a.gapIdx >= 0) != (len(a.txs) > a.run) || a.gapIdx >= 0 && p.gapped[a.gapIdx] != a {
			t.Fatalf("sender %s gap index %d wrong", addr, a.gapIdx)
		}
		if a.gapIdx >= 0 {
			gapped++
		}
		count += len(a.txs)
		exec += a.run
	}
	if count != len(p.all) || exec != p.executable || gapped != len(p.gapped) {
		t.Fatalf("counts: txs %d/%d executable %d/%d gapped %d/%d", count, len(p.all), exec, p.executable, gapped, len(p.gapped))
	}
	if len(p.all) > p.cfg.MaxTxs {
		t.Fatalf("pool holds %d > %d", len(p.all), p.cfg.MaxTxs)
	}
}

// checkExecutable fails unless txs, in order, form for every sender a run of
// consecutive nonces from its state nonce whose debits stay within its
// available balance.
func checkExecutable(t tb, st StateView, txs []*chain.Tx) {
	t.Helper()
	type key struct {
		addr  common.Address
		asset string
	}
	next := map[common.Address]uint64{}
	spent := map[key]uint64{}
	seen := map[common.Hash]bool{}
	for i, tx := range txs {
		if seen[tx.Hash()] {
			t.Fatalf("pending[%d] repeats a transaction", i)
		}
		seen[tx.Hash()] = true
		from := mustSender(t, tx)
		want, ok := next[from]
		if !ok {
			want = st.Nonce(from)
		}
		if tx.Nonce() != want {
			t.Fatalf("pending[%d] from %s has nonce %d, want %d (gap)", i, from, tx.Nonce(), want)
		}
		next[from] = want + 1
		asset, amount := tx.Debit()
		k := key{from, asset}
		spent[k] += amount
		if amount > 0 && spent[k] > st.Available(from, asset) {
			t.Fatalf("pending[%d] from %s overdraws %s: %d > %d", i, from, asset, spent[k], st.Available(from, asset))
		}
	}
}

func isReject(err error, want *chain.RejectError) bool {
	return errors.Is(err, want) && chain.CodeOf(err) == want.Code
}
