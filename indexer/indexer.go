package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Options configures Run.
type Options struct {
	RPC      string        // the node's JSON-RPC URL
	Until    uint64        // stop once this height is written; 0 follows the chain until ctx ends
	Prefetch int           // blocks read ahead of the writer (default 16)
	Poll     time.Duration // how often to ask for a new final height when caught up (default 200 ms)
	Logger   *slog.Logger
	// Written, when set, is called after each block is committed.
	Written func(height uint64, txs int)
}

// Run migrates the database, then follows the node's final blocks from the
// cursor on and writes each in its own transaction, until ctx ends (nil
// error) or Until is written.
func Run(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	if opts.Prefetch <= 0 {
		opts.Prefetch = 16
	}
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if applied, err := Migrate(ctx, pool); err != nil {
		return err
	} else if len(applied) > 0 {
		opts.Logger.Info("schema migrated", "versions", applied)
	}
	client, err := gethrpc.DialContext(ctx, opts.RPC)
	if err != nil {
		return fmt.Errorf("dial %s: %w", opts.RPC, err)
	}
	defer client.Close()
	src := source{client}
	info, err := src.chainInfo(ctx)
	if err != nil {
		return fmt.Errorf("chain info: %w", err)
	}
	g, err := src.genesis(ctx)
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	cur, ok, err := ReadCursor(ctx, pool)
	if err != nil {
		return err
	}
	next := uint64(0)
	if ok {
		if cur.ChainID != info.ChainID || cur.GenesisHash != info.GenesisHash {
			return fmt.Errorf("the database indexes chain %s (genesis %s), the node serves %s (genesis %s)",
				cur.ChainID, cur.GenesisHash, info.ChainID, info.GenesisHash)
		}
		next = cur.Height + 1
	}
	if opts.Until > 0 && next > opts.Until {
		return nil
	}
	opts.Logger.Info("indexing", "chain", info.ChainID, "from", next, "final", info.FinalHeight)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *pending, opts.Prefetch)
	go produce(ctx, src, genesisAccounts(g), next, info.FinalHeight, opts, queue)
	return consume(ctx, pool, g, info.GenesisHash, opts, queue)
}

// pending is a block being read.
type pending struct {
	height uint64
	done   chan struct{}
	f      *fetched
	err    error
}

// produce reads blocks from next on, up to Prefetch at once, and queues
// them in height order; it closes queue after Until or when ctx ends.
func produce(ctx context.Context, src source, extra []common.Address, next, final uint64, opts Options, queue chan<- *pending) {
	defer close(queue)
	sem := make(chan struct{}, opts.Prefetch)
	for h := next; opts.Until == 0 || h <= opts.Until; h++ {
		for h > final {
			select {
			case <-ctx.Done():
				return
			case <-time.After(opts.Poll):
			}
			if info, err := src.chainInfo(ctx); err == nil {
				final = info.FinalHeight
			} else if ctx.Err() == nil {
				opts.Logger.Warn("chain info", "err", err)
			}
		}
		p := &pending{height: h, done: make(chan struct{})}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		var ex []common.Address
		if h == 0 {
			ex = extra
		}
		go func() {
			defer close(p.done)
			defer func() { <-sem }()
			p.f, p.err = fetchRetrying(ctx, src, p.height, ex, opts.Logger)
		}()
		select {
		case queue <- p:
		case <-ctx.Done():
			return
		}
	}
}

// consume writes queued blocks in order.
func consume(ctx context.Context, pool *pgxpool.Pool, g *chain.Genesis, genesisHash common.Hash, opts Options, queue <-chan *pending) error {
	last := time.Now()
	var written, txs int
	for p := range queue {
		<-p.done
		if p.err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return p.err
		}
		err := write(ctx, pool, p.f, g, genesisHash)
		switch {
		case errors.Is(err, errWritten):
			continue
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("write block %d: %w", p.height, err)
		}
		written, txs = written+1, txs+len(p.f.block.Txs)
		if opts.Written != nil {
			opts.Written(p.height, len(p.f.block.Txs))
		}
		if time.Since(last) > 10*time.Second {
			opts.Logger.Info("indexed", "height", p.height, "blocks", written, "txs", txs)
			last = time.Now()
		}
	}
	return nil
}

// genesisAccounts are the accounts that exist at genesis.
func genesisAccounts(g *chain.Genesis) []common.Address {
	var out []common.Address
	for _, a := range g.Accounts {
		out = append(out, a.Address)
	}
	for _, v := range g.Validators {
		out = append(out, v.Address)
	}
	return out
}

// fetchAttempts is how often a block read is tried before the indexer
// gives up (a second apart: a node restarting is waited for).
const fetchAttempts = 30

func fetchRetrying(ctx context.Context, src source, h uint64, extra []common.Address, log *slog.Logger) (*fetched, error) {
	for attempt := 1; ; attempt++ {
		f, err := src.fetch(ctx, h, extra)
		if err == nil || ctx.Err() != nil || attempt == fetchAttempts {
			return f, err
		}
		log.Warn("read block failed; retrying", "height", h, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
