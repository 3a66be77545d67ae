// Package bench is Sovereign's load generator: it funds bench accounts on a
// development chain, submits pre-signed transfers over JSON-RPC at a set
// rate, follows final blocks over WebSocket, and reports final transfers per
// second and submit→final latency.
package bench

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// Config says what load to generate.
type Config struct {
	RPC []string // node RPC URLs (http://); load is spread across them
	// Metrics are the nodes' Prometheus URLs, read for their CPU time; by
	// default RPC/metrics, where a Sovereign node serves them.
	Metrics  []string
	Accounts int // distinct senders
	Txs      int // transfers to submit
	Rate     int // transfers per second; 0 = as fast as the nodes take them
	Batch    int // transactions per JSON-RPC batch request
	Workers  int // concurrent submitters
	Asset    string
	Timeout  time.Duration // how long to wait for the last transfer to be final
	Log      func(format string, args ...any)
}

// Report is what a run measured.
type Report struct {
	Submitted   int
	Final       int
	Rejected    int
	Duration    time.Duration // first submit → last final
	TPS         float64       // final transfers per second over Duration
	P50, P99    time.Duration // submit → final
	Max         time.Duration
	Blocks      int
	MeanPerBlok float64
	// NodeCPU is the CPU time all the nodes used from the first submit to
	// the last final transfer, and CPUPerTx that divided by Final; zero
	// when a node does not serve /metrics beside RPC.
	NodeCPU  time.Duration
	CPUPerTx time.Duration
}

func (r Report) String() string {
	s := fmt.Sprintf("submitted %d, final %d, rejected %d in %s: %.0f final tx/s; submit→final p50 %s p99 %s max %s; %d blocks, %.0f tx/block",
		r.Submitted, r.Final, r.Rejected, r.Duration.Round(time.Millisecond), r.TPS,
		r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond), r.Blocks, r.MeanPerBlok)
	if r.NodeCPU > 0 && r.Duration > 0 {
		s += fmt.Sprintf("; node CPU %s, %s per final tx, %.0f%% of %d cores", r.NodeCPU.Round(time.Millisecond), r.CPUPerTx.Round(time.Microsecond),
			100*r.NodeCPU.Seconds()/r.Duration.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU())
	}
	return s
}

func (c *Config) fill() {
	if c.Accounts <= 0 {
		c.Accounts = 1000
	}
	if c.Txs <= 0 {
		c.Txs = 20000
	}
	if c.Batch <= 0 {
		c.Batch = 200
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Asset == "" {
		c.Asset = "CNY"
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	if len(c.Metrics) == 0 {
		for _, u := range c.RPC {
			c.Metrics = append(c.Metrics, strings.TrimSuffix(u, "/")+"/metrics")
		}
	}
}

// Run funds the bench accounts (once per chain), then generates the load.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.fill()
	if len(cfg.RPC) == 0 {
		return Report{}, fmt.Errorf("no RPC URL")
	}
	wc, err := wallet.DialContext(ctx, cfg.RPC[0])
	if err != nil {
		return Report{}, err
	}
	defer wc.Close()
	g, err := wc.Genesis(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("read genesis: %w", err)
	}
	if g.DevSeed == "" {
		return Report{}, fmt.Errorf("chain %s is not a development chain: bench funds its accounts with the published dev keys", g.ChainID)
	}
	keys := make([]*ecdsa.PrivateKey, cfg.Accounts)
	for i := range keys {
		keys[i] = devnet.Key(g.DevSeed, "bench", i)
	}
	if err := fund(ctx, wc, g, keys, cfg); err != nil {
		return Report{}, err
	}
	txs, err := prepare(ctx, wc, g, keys, cfg)
	if err != nil {
		return Report{}, err
	}
	before, cpuOK := nodesCPU(ctx, cfg.Metrics)
	r, err := load(ctx, cfg, txs)
	if after, ok := nodesCPU(ctx, cfg.Metrics); err == nil && cpuOK && ok && r.Final > 0 {
		r.NodeCPU = time.Duration((after - before) * float64(time.Second))
		r.CPUPerTx = r.NodeCPU / time.Duration(r.Final)
	}
	return r, err
}

// fund registers the bench accounts with bank 0 and mints them enough for
// any run; accounts already funded are left alone.
func fund(ctx context.Context, wc *wallet.Client, g *chain.Genesis, keys []*ecdsa.PrivateKey, cfg Config) error {
	bankKey := devnet.Key(g.DevSeed, "bank", 0)
	bank := crypto.PubkeyToAddress(bankKey.PublicKey)
	nonce, err := wc.NextNonce(ctx, bank)
	if err != nil {
		return fmt.Errorf("bank nonce: %w", err)
	}
	var txs []*chain.Tx
	for _, k := range keys {
		a := crypto.PubkeyToAddress(k.PublicKey)
		acct, err := wc.Account(ctx, a, cfg.Asset)
		if err == nil && acct != nil && len(acct.Balances) > 0 && acct.Balances[0].AvailableUnits > 0 {
			continue
		}
		if err != nil && !wallet.IsCode(err, "account_not_found") {
			return fmt.Errorf("read bench account: %w", err)
		}
		if err != nil {
			txs = append(txs, mustSign(g.ChainID, nonce, chain.RegisterAccount{Account: a}, bankKey))
			nonce++
		}
		txs = append(txs, mustSign(g.ChainID, nonce, chain.Mint{To: a, Asset: cfg.Asset, Amount: 1 << 40}, bankKey))
		nonce++
	}
	if len(txs) == 0 {
		return nil
	}
	cfg.Log("funding %d bench accounts (%d transactions)", len(keys), len(txs))
	c, err := gethrpc.DialContext(ctx, cfg.RPC[0])
	if err != nil {
		return err
	}
	defer c.Close()
	// The bank is one sender: the pool holds at most a thousand of its
	// transactions, so funding goes in rounds that each become final.
	const round = 800
	for start := 0; start < len(txs); start += round {
		chunk := txs[start:min(start+round, len(txs))]
		if err := sendBatch(ctx, c, chunk); err != nil {
			return fmt.Errorf("funding: %w", err)
		}
		last := chunk[len(chunk)-1]
		if _, err := wc.WaitFinal(ctx, last.Hash()); err != nil {
			return fmt.Errorf("funding did not become final: %w", err)
		}
	}
	return nil
}

// prepare signs every transfer before the clock starts, so the run measures
// the chain, not the load generator's signing.
func prepare(ctx context.Context, wc *wallet.Client, g *chain.Genesis, keys []*ecdsa.PrivateKey, cfg Config) ([]*chain.Tx, error) {
	nonces := make([]uint64, len(keys))
	for i, k := range keys {
		n, err := wc.NextNonce(ctx, crypto.PubkeyToAddress(k.PublicKey))
		if err != nil {
			return nil, err
		}
		nonces[i] = n
	}
	cfg.Log("signing %d transfers from %d accounts", cfg.Txs, len(keys))
	txs := make([]*chain.Tx, cfg.Txs)
	var wg sync.WaitGroup
	workers := 2
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				from := i % len(keys)
				to := crypto.PubkeyToAddress(keys[(from+1)%len(keys)].PublicKey)
				txs[i] = mustSign(g.ChainID, nonces[from]+uint64(i/len(keys)), chain.Transfer{To: to, Asset: cfg.Asset, Amount: 1}, keys[from])
			}
		}(w)
	}
	wg.Wait()
	return txs, nil
}

func mustSign(chainID string, nonce uint64, body chain.Body, key *ecdsa.PrivateKey) *chain.Tx {
	tx := chain.NewTx(chainID, nonce, body)
	if err := tx.Sign(key); err != nil {
		panic(err)
	}
	return tx
}

// sendBatch submits txs with one sov_sendRawTransactions call; a refusal
// of any is an error.
func sendBatch(ctx context.Context, c *gethrpc.Client, txs []*chain.Tx) error {
	raws := make([]hexutil.Bytes, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Bytes()
	}
	var res []rpc.SubmitResult
	if err := c.CallContext(ctx, &res, "sov_sendRawTransactions", raws); err != nil {
		return err
	}
	refused := 0
	first := ""
	for _, r := range res {
		if r.Code != "" {
			if refused == 0 {
				first = fmt.Sprintf("%s: %s", r.Hash, r.Error)
			}
			refused++
		}
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d refused, first: %s", refused, len(txs), first)
	}
	return nil
}

// load submits txs to a Sovereign chain and follows its final blocks
// until all are final.
func load(ctx context.Context, cfg Config, txs []*chain.Tx) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	final := newFinalTracker(len(txs))
	stop, err := follow(ctx, cfg.RPC[0], final)
	if err != nil {
		return Report{}, err
	}
	defer stop()
	clients := make([]*gethrpc.Client, len(cfg.RPC))
	for i, u := range cfg.RPC {
		if clients[i], err = gethrpc.DialContext(ctx, u); err != nil {
			return Report{}, err
		}
		defer clients[i].Close()
	}
	hashes := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	send := func(ctx context.Context, worker, from, to int) error {
		return sendBatch(ctx, clients[worker%len(clients)], txs[from:to])
	}
	return drive(ctx, cfg, hashes, send, final)
}

// drive submits items 0..len(hashes)-1 in batches at cfg.Rate through
// cfg.Workers concurrent calls of send, waits until final has seen every
// hash, and reports. It is the load shape every target shares (Sovereign,
// and CometBFT in comparisons).
func drive(ctx context.Context, cfg Config, hashes []common.Hash, send func(ctx context.Context, worker, from, to int) error, final *finalTracker) (Report, error) {
	submitted := make(map[common.Hash]time.Time, len(hashes))
	var mu sync.Mutex
	type batch struct{ from, to int }
	batches := make(chan batch)
	errc := make(chan error, cfg.Workers)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := range batches {
				now := time.Now()
				mu.Lock()
				for _, h := range hashes[b.from:b.to] {
					submitted[h] = now
				}
				mu.Unlock()
				if err := send(ctx, w, b.from, b.to); err != nil {
					errc <- err
					return
				}
			}
		}(w)
	}
	start := time.Now()
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(cfg.Batch) / float64(cfg.Rate))
	}
	// Batch i holds the i-th slice, so for Sovereign each sender's transfers
	// go in nonce order (senders repeat only every Accounts transfers).
	for i := 0; i < len(hashes); i += cfg.Batch {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(i/cfg.Batch) * interval)); d > 0 {
				time.Sleep(d)
			}
		}
		select {
		case batches <- batch{i, min(i+cfg.Batch, len(hashes))}:
		case err := <-errc:
			close(batches)
			return Report{}, err
		case <-ctx.Done():
			close(batches)
			return Report{}, ctx.Err()
		}
	}
	close(batches)
	wg.Wait()
	select {
	case err := <-errc:
		return Report{}, err
	default:
	}
	cfg.Log("submitted %d transactions in %s; waiting for finality", len(hashes), time.Since(start).Round(time.Millisecond))
	if err := final.wait(ctx, hashes); err != nil {
		return Report{}, fmt.Errorf("%w (%d of %d final)", err, final.count(hashes), len(hashes))
	}
	return final.report(start, hashes, submitted), nil
}

// finalTracker records when each transaction was seen in a final block.
type finalTracker struct {
	mu     sync.Mutex
	at     map[common.Hash]time.Time
	codes  map[common.Hash]string
	blocks int
	txsIn  int
	wake   chan struct{}
}

func newFinalTracker(n int) *finalTracker {
	return &finalTracker{at: make(map[common.Hash]time.Time, n), codes: map[common.Hash]string{}, wake: make(chan struct{}, 1)}
}

func (f *finalTracker) add(b *rpc.Block, seen time.Time) {
	codes := make([]string, len(b.Transactions))
	for i := range codes {
		if i < len(b.Receipts) {
			codes[i] = b.Receipts[i].Code
		}
	}
	f.addBlock(b.Transactions, codes, seen)
}

// addBlock records one final block's transactions (codes[i] non-empty: a
// rejection) as seen final at seen.
func (f *finalTracker) addBlock(txs []common.Hash, codes []string, seen time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks++
	for i, h := range txs {
		f.at[h] = seen
		f.txsIn++
		if codes[i] != "" {
			f.codes[h] = codes[i]
		}
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *finalTracker) count(hashes []common.Hash) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range hashes {
		if _, ok := f.at[h]; ok {
			n++
		}
	}
	return n
}

func (f *finalTracker) wait(ctx context.Context, hashes []common.Hash) error {
	for f.count(hashes) < len(hashes) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.wake:
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func (f *finalTracker) report(start time.Time, hashes []common.Hash, submitted map[common.Hash]time.Time) Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := Report{Submitted: len(hashes), Blocks: f.blocks}
	lat := make([]time.Duration, 0, len(hashes))
	var last time.Time
	for _, h := range hashes {
		at, ok := f.at[h]
		if !ok {
			continue
		}
		r.Final++
		if f.codes[h] != "" {
			r.Rejected++
		}
		if at.After(last) {
			last = at
		}
		lat = append(lat, at.Sub(submitted[h]))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		r.P50, r.P99, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	r.Duration = last.Sub(start)
	if r.Duration > 0 {
		r.TPS = float64(r.Final) / r.Duration.Seconds()
	}
	if f.blocks > 0 {
		r.MeanPerBlok = float64(f.txsIn) / float64(f.blocks)
	}
	return r
}

// follow feeds the tracker every final block from the first one it hears
// of, in order. New heads arrive over a WebSocket subscription; a head it
// missed, a block fetch that failed, or a subscription the node dropped
// (a loaded node drops slow subscribers) is made up by fetching every
// height up to the latest it knows, and a poll of the final height every
// followPoll keeps it going without the subscription: a lost head must
// not read as a stalled chain.
func follow(ctx context.Context, httpURL string, f *finalTracker) (func(), error) {
	wsURL := "ws" + strings.TrimPrefix(httpURL, "http")
	wc, err := wallet.DialContext(ctx, wsURL)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", wsURL, err)
	}
	heads := make(chan rpc.Header, 256)
	sub, err := wc.SubscribeFinalBlocks(ctx, heads)
	if err != nil {
		wc.Close()
		return nil, fmt.Errorf("subscribe to final blocks: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		feed := &blockFeed{fetch: func(h uint64) (*rpc.Block, error) { return wc.BlockByNumber(ctx, rpc.Height(h), false) }, add: f.add}
		catchUp := feed.upTo
		poll := time.NewTicker(followPoll)
		defer poll.Stop()
		subErr := sub.Err()
		for {
			select {
			case h := <-heads:
				catchUp(h.Height)
			case <-poll.C:
				if info, err := wc.ChainInfo(ctx); err == nil {
					catchUp(info.FinalHeight)
				}
			case <-subErr:
				subErr = nil // the poll carries on
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { sub.Unsubscribe(); wc.Close(); <-done }, nil
}

// blockFeed hands every height from the first it is told of to add, in
// order, once each, however the final heights it is told of skip.
type blockFeed struct {
	next  uint64 // the first height not yet fed; 0 until the first
	fetch func(height uint64) (*rpc.Block, error)
	add   func(b *rpc.Block, seen time.Time)
}

// upTo feeds every height up to final; a failed fetch stops it there, to
// be tried again at the next call.
func (f *blockFeed) upTo(final uint64) {
	if f.next == 0 {
		f.next = final
	}
	for ; f.next <= final; f.next++ {
		b, err := f.fetch(f.next)
		if err != nil {
			return
		}
		f.add(b, time.Now())
	}
}

// followPoll is how often follow asks for the final height besides the
// subscription.
const followPoll = 500 * time.Millisecond
