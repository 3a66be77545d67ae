package faultnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// Load submits transfers and escrows (holds, and releases of holds already
// final) from the devnet's demo customers to every live node, records
// every acknowledgement and resubmits the same signed bytes of each
// acknowledged transaction that is not final a while later: its node may
// have died with it in its pool (see the package doc).
type Load struct {
	c        *Cluster
	interval time.Duration // per sender, between transactions
	keys     []*ecdsa.PrivateKey

	mu    sync.Mutex
	acked map[common.Hash]*sent
	final map[common.Hash][]uint64 // heights at which the follower saw a hash
	next  int                      // round robin over nodes
	pause bool                     // senders skip their ticks

	submitted, resubmitted, rejected atomic.Int64

	stop    chan struct{}
	senders sync.WaitGroup
	bg      sync.WaitGroup
	bgStop  chan struct{}
	errs    chan error
}

type sent struct {
	tx      *chain.Tx
	node    int // the node that acknowledged it
	at      time.Time
	lastTry time.Time
}

// Tuning of resubmission: an acknowledged transaction not final after
// resubmitAfter is sent again to another live node.
const resubmitAfter = 3 * time.Second

// StartLoad starts one sender per demo customer, each sending a
// transaction every interval, a follower of final blocks and the
// resubmitter.
func StartLoad(c *Cluster, interval time.Duration) (*Load, error) {
	l := &Load{c: c, interval: interval, acked: map[common.Hash]*sent{}, final: map[common.Hash][]uint64{},
		stop: make(chan struct{}), bgStop: make(chan struct{}), errs: make(chan error, 16)}
	for k := 0; k < devnet.Customers; k++ {
		l.keys = append(l.keys, devnet.Key(devnet.Seed, "customer", k))
	}
	nonces := make([]uint64, len(l.keys))
	for k, key := range l.keys {
		n, err := l.nonce(crypto.PubkeyToAddress(key.PublicKey))
		if err != nil {
			return nil, err
		}
		nonces[k] = n
	}
	for k := range l.keys {
		l.senders.Add(1)
		go l.sender(k, nonces[k])
	}
	l.bg.Add(2)
	go l.follow()
	go l.resubmitter()
	return l, nil
}

// nonce reads addr's next nonce from a live node.
func (l *Load) nonce(addr common.Address) (uint64, error) {
	var last error
	for _, i := range l.live() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		a, err := l.c.Clients[i].Account(ctx, addr, "")
		cancel()
		if err == nil {
			return a.Nonce, nil
		}
		last = err
	}
	return 0, fmt.Errorf("nonce of %s: no live node answered: %v", addr, last)
}

// live lists the nodes that are up (not killed, exited or paused).
func (l *Load) live() []int {
	var out []int
	for i := 0; i < l.c.Net.N; i++ {
		if l.c.State(i) == Up {
			out = append(out, i)
		}
	}
	return out
}

// pick returns a live node, round robin.
func (l *Load) pick() (int, bool) {
	live := l.live()
	if len(live) == 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	return live[l.next%len(live)], true
}

func (l *Load) sender(k int, nonce uint64) {
	defer l.senders.Done()
	from := crypto.PubkeyToAddress(l.keys[k].PublicKey)
	payee := devnet.Address(devnet.Seed, "customer", (k+1)%len(l.keys))
	var openHolds []common.Hash
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		if l.paused() {
			continue
		}
		var body chain.Body
		switch {
		case seq%4 == 1:
			body = chain.Hold{Payee: payee, Asset: "CNY", Amount: uint64(100 + seq%50),
				Expiry: uint64(time.Now().Add(time.Hour).UnixMilli())}
		case seq%4 == 3 && len(openHolds) > 0 && l.isFinal(openHolds[0]):
			body = chain.Release{Escrow: openHolds[0]}
			openHolds = openHolds[1:]
		default:
			body = chain.Transfer{To: payee, Asset: "CNY", Amount: uint64(1 + seq%97)}
		}
		tx, err := wallet.SignTx(l.c.Genesis.ChainID, nonce, body, l.keys[k])
		if err != nil {
			l.fail(fmt.Errorf("sign tx of %s: %w", from, err))
			return
		}
		if !l.submitUntilAck(tx) {
			return
		}
		if _, ok := body.(chain.Hold); ok {
			openHolds = append(openHolds, tx.Hash())
		}
		nonce++
	}
}

// submitUntilAck sends tx to live nodes until one acknowledges it. It
// reports false when the load was stopped first, or tx was refused for a
// reason other than "already there" (then the run fails).
func (l *Load) submitUntilAck(tx *chain.Tx) bool {
	for {
		i, ok := l.pick()
		if ok {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := l.c.Clients[i].SendTx(ctx, tx)
			cancel()
			l.submitted.Add(1)
			// already_known / bad_nonce: an earlier attempt that timed out
			// did reach a node (this is the only transaction signed with
			// this nonce); the checker holds it to the same standard.
			if err == nil || wallet.IsCode(err, chain.ErrAlreadyKnown.Code) || wallet.IsCode(err, chain.ErrBadNonce.Code) {
				l.mu.Lock()
				l.acked[tx.Hash()] = &sent{tx: tx, node: i, at: time.Now(), lastTry: time.Now()}
				l.mu.Unlock()
				return true
			}
			var re *wallet.RPCError
			if errors.As(err, &re) && re.Rejected() {
				l.rejected.Add(1)
				l.fail(fmt.Errorf("node %d refused tx %s: %w", i, tx.Hash(), err))
				return false
			}
		}
		select {
		case <-l.stop:
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Pause holds the senders (the resubmitter goes on); Resume lets them go.
func (l *Load) Pause()  { l.setPause(true) }
func (l *Load) Resume() { l.setPause(false) }

func (l *Load) setPause(p bool) {
	l.mu.Lock()
	l.pause = p
	l.mu.Unlock()
}

func (l *Load) paused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pause
}

func (l *Load) fail(err error) {
	select {
	case l.errs <- err:
	default:
	}
}

func (l *Load) isFinal(h common.Hash) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.final[h]) > 0
}

// follow reads every final block from a live node and notes the heights at
// which each transaction appears.
func (l *Load) follow() {
	defer l.bg.Done()
	next := uint64(1)
	for {
		select {
		case <-l.bgStop:
			return
		default:
		}
		i, ok := l.pick()
		if !ok {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		b, err := l.c.Clients[i].BlockByNumber(ctx, rpc.Height(next), false)
		cancel()
		if err != nil { // not final there yet, or the node is busy
			time.Sleep(50 * time.Millisecond)
			continue
		}
		l.mu.Lock()
		for _, h := range b.Transactions {
			l.final[h] = append(l.final[h], b.Height)
		}
		l.mu.Unlock()
		next++
	}
}

// resubmitter sends again what was acknowledged but is not final.
func (l *Load) resubmitter() {
	defer l.bg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.bgStop:
			return
		case <-t.C:
		}
		now := time.Now()
		var due []*sent
		l.mu.Lock()
		for h, s := range l.acked {
			if len(l.final[h]) == 0 && now.Sub(s.lastTry) > resubmitAfter {
				s.lastTry = now
				due = append(due, s)
			}
		}
		l.mu.Unlock()
		// Oldest first: a lost low nonce holds its sender's later ones.
		sort.Slice(due, func(a, b int) bool { return due[a].at.Before(due[b].at) })
		for _, s := range due {
			i, ok := l.pick()
			if !ok {
				break
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, _ = l.c.Clients[i].SendTx(ctx, s.tx) // already_known / bad_nonce are fine
			cancel()
			l.resubmitted.Add(1)
		}
	}
}

// Stop stops the senders; the follower and the resubmitter go on until
// Drain or Close.
func (l *Load) Stop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.senders.Wait()
}

// Drain stops the senders and waits until every acknowledged transaction
// has been seen final, resubmitting as needed. It returns those that were
// not final by the timeout.
func (l *Load) Drain(timeout time.Duration) []common.Hash {
	l.Stop()
	deadline := time.Now().Add(timeout)
	for {
		missing := l.notFinal()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (l *Load) notFinal() []common.Hash {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []common.Hash
	for h := range l.acked {
		if len(l.final[h]) == 0 {
			out = append(out, h)
		}
	}
	return out
}

// NotFinalAckedBy counts the transactions node i acknowledged that are not
// final yet.
func (l *Load) NotFinalAckedBy(i int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for h, s := range l.acked {
		if s.node == i && len(l.final[h]) == 0 {
			n++
		}
	}
	return n
}

// Close stops everything the load runs.
func (l *Load) Close() {
	l.Stop()
	select {
	case <-l.bgStop:
	default:
		close(l.bgStop)
	}
	l.bg.Wait()
}

// Err returns the first failure of a sender, if any.
func (l *Load) Err() error {
	select {
	case err := <-l.errs:
		return err
	default:
		return nil
	}
}

// Acked lists every acknowledged transaction.
func (l *Load) Acked() []common.Hash {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]common.Hash, 0, len(l.acked))
	for h := range l.acked {
		out = append(out, h)
	}
	return out
}

// Stats summarises the load for the log.
func (l *Load) Stats() string {
	l.mu.Lock()
	acked := len(l.acked)
	l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged, %d submissions, %d resubmissions, %d refused",
		acked, l.submitted.Load(), l.resubmitted.Load(), l.rejected.Load())
}
