package rpc

import (
	"errors"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Two read-only queries for the explorer, built only on Backend.BlockByNumber
// and Info: the sovereign key's path over recent blocks (who proposed, who
// held the key in the rounds that produced nothing) and an account's recent
// history. Neither needs an index: both read final blocks.

// Bounds of sov_keyPath and sov_accountHistory.
const (
	DefaultKeyPathBlocks = 64
	MaxKeyPathBlocks     = 512

	DefaultHistoryLimit  = 50
	MaxHistoryLimit      = 200
	DefaultHistoryBlocks = 500
	MaxHistoryBlocks     = 5000
	// MaxHistoryTxs bounds the transactions one call scans (whole blocks):
	// each costs a signature recovery, so a call stays well under a second
	// however full the blocks are.
	MaxHistoryTxs = 10_000
)

// KeyStep is one final block on the key's path.
type KeyStep struct {
	Height   uint64           `json:"height"`
	Hash     common.Hash      `json:"hash"`
	Time     uint64           `json:"time"`
	Round    uint32           `json:"round"`
	Seed     common.Hash      `json:"seed"` // the height's seed: holders are chain.ValidatorSet.HolderOrder(seed) by round
	Reveal   common.Hash      `json:"reveal"`
	Proposer common.Address   `json:"proposer"`
	Missed   []common.Address `json:"missed"` // key holders of rounds 0 … round-1, in order: they produced no accepted block
	TxCount  int              `json:"tx_count"`
	Signers  int              `json:"signers"` // precommits in the block's certificate (0 while unknown)
}

// KeyPath returns the last count final blocks (default 64, at most 512),
// oldest first, each with its proposer and the holders who missed their
// round before it. The holders come from the seeds, which the node
// recomputes from genesis over the headers' reveals (chain.GenesisSeed,
// chain.NextSeed) once per process, keeping a seed every seedMarkEvery
// heights and the recent steps, so a later call reads only new blocks.
func (api *API) KeyPath(count *int) ([]KeyStep, error) {
	n := DefaultKeyPathBlocks
	if count != nil {
		n = *count
	}
	if n < 1 || n > MaxKeyPathBlocks {
		return nil, invalidParams("count %d: want 1 to %d", n, MaxKeyPathBlocks)
	}
	st := api.b.Info()
	if st.FinalHeight == 0 {
		return []KeyStep{}, nil
	}
	from := uint64(1)
	if st.FinalHeight > uint64(n) {
		from = st.FinalHeight - uint64(n) + 1
	}
	c := api.seeds()
	c.walking.Lock() // one walk at a time: a caller arriving during the walk from genesis waits for it, then reads the cache
	defer c.walking.Unlock()
	out := make([]KeyStep, 0, st.FinalHeight-from+1)
	c.mu.Lock()
	for h := from; h <= st.FinalHeight; h++ {
		step, ok := c.steps[h]
		if !ok {
			break
		}
		out = append(out, step)
	}
	c.mu.Unlock()
	first := from + uint64(len(out))
	if first > st.FinalHeight {
		return out, nil
	}
	var setErr error
	err := c.walk(api.b, first, st.FinalHeight, func(b *chain.Block, cert *chain.Certificate, seed common.Hash) {
		h := b.Header
		vs, err := api.b.ValidatorsAtErr(h.Height) // the holders of a height are its own set's
		if err != nil {
			setErr = err
			vs = chain.NewValidatorSet(st.Validators)
		}
		step := KeyStep{Height: h.Height, Hash: h.Hash(), Time: h.Time, Round: h.Round, Seed: seed, Reveal: h.Reveal, Proposer: h.Proposer,
			Missed: vs.MissedHolders(seed, h.Round), TxCount: len(b.Txs)}
		if cert != nil && err == nil {
			step.Signers = len(cert.Sigs)
			c.mu.Lock()
			c.steps[h.Height] = step // final and certified: it never changes
			c.mu.Unlock()
		}
		out = append(out, step)
	})
	if err == nil {
		err = setErr
	}
	if errors.Is(err, chain.ErrBeforeSnapshot) {
		// The walk derives each seed from genesis on; a node that joined
		// from a snapshot never had the blocks before it.
		return nil, newError(CodeNotFound, ErrCodeBeforeSnapshot, "the key's path is walked from genesis, and this node's history starts at height %d (the snapshot it joined from): ask a node that keeps the full history", st.HistoryFrom)
	}
	if err != nil {
		return nil, internalError("walk the key's path", err)
	}
	return out, nil
}

// seedMarkEvery is how often the seed walk keeps a seed for good, so a
// walk into older blocks starts at most this many blocks before where it
// is asked to. The seeds of the last 2×MaxKeyPathBlocks heights are kept
// too, so the usual call (the newest blocks) reads only what it returns.
const seedMarkEvery = 256

// seedMarks remembers seeds of one chain by height, and the recent key
// steps, which never change once their block is certified. Each API (one
// per server, so per node) has its own: two chains may share a genesis
// (tests start many from the devnet's), never a node.
type seedMarks struct {
	walking sync.Mutex // held by a KeyPath call from its cache read to the end of its walk

	mu    sync.Mutex
	marks map[uint64]common.Hash // height → seed of that height
	steps map[uint64]KeyStep     // recent heights
}

var seedMarksByAPI sync.Map // *API → *seedMarks (api.go's API has no field for it)

func (api *API) seeds() *seedMarks {
	if m, ok := seedMarksByAPI.Load(api); ok {
		return m.(*seedMarks)
	}
	fresh := &seedMarks{marks: map[uint64]common.Hash{1: chain.GenesisSeed(api.g)}, steps: map[uint64]KeyStep{}}
	m, _ := seedMarksByAPI.LoadOrStore(api, fresh)
	return m.(*seedMarks)
}

// walk calls fn for each final block from..to with the seed its key holder
// was drawn from, starting at the nearest kept seed at or below from.
func (m *seedMarks) walk(b Backend, from, to uint64, fn func(*chain.Block, *chain.Certificate, common.Hash)) error {
	m.mu.Lock()
	start := uint64(1)
	for h := range m.marks {
		if h <= from && h > start {
			start = h
		}
	}
	seed := m.marks[start]
	m.mu.Unlock()
	recent := to - min(to, 2*MaxKeyPathBlocks) // heights above this keep their seeds
	for h := start; h <= to; h++ {
		blk, cert, _, err := b.BlockByNumber(h)
		if err != nil {
			return err
		}
		if blk == nil {
			return errors.New("missing final block")
		}
		if h >= from {
			fn(blk, cert, seed)
		}
		seed = chain.NextSeed(seed, blk.Header.Reveal)
		if next := h + 1; next%seedMarkEvery == 0 || next > recent {
			m.mu.Lock()
			m.marks[next] = seed
			m.mu.Unlock()
		}
	}
	m.mu.Lock()
	for h := range m.marks {
		if h%seedMarkEvery != 0 && h != 1 && h <= recent {
			delete(m.marks, h)
		}
	}
	for h := range m.steps {
		if h <= recent {
			delete(m.steps, h)
		}
	}
	m.mu.Unlock()
	return nil
}

// HistoryQuery asks for an account's recent events.
type HistoryQuery struct {
	Account common.Address `json:"account"`
	Before  *uint64        `json:"before,omitempty"` // scan blocks below this height; default: from the final block down
	Limit   int            `json:"limit,omitempty"`  // notices wanted (default 50, at most 200); whole blocks are returned, so a few more may come
	Blocks  int            `json:"blocks,omitempty"` // blocks to scan at most (default 500, at most 5000)
}

// History is an account's events in a range of final blocks, newest first.
type History struct {
	Account common.Address `json:"account"`
	Notices []Notice       `json:"notices"`
	From    uint64         `json:"from"` // lowest height scanned
	To      uint64         `json:"to"`   // highest height scanned
	More    bool           `json:"more"` // older blocks remain: ask again with before = from
}

// AccountHistory scans final blocks downwards from before (or the final
// block), at most blocks of them and MaxHistoryTxs transactions, and
// returns the events that concern the account — as a party or
// as the bank concerned — the same events sov_subscribe("accountEvents")
// delivers. It reads blocks, not an index, so each call is bounded by
// blocks; the PostgreSQL indexer (docs/INDEXER.md) keeps complete histories.
func (api *API) AccountHistory(q HistoryQuery) (*History, error) {
	limit, blocks := q.Limit, q.Blocks
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	if blocks == 0 {
		blocks = DefaultHistoryBlocks
	}
	if limit < 1 || limit > MaxHistoryLimit {
		return nil, invalidParams("limit %d: want 1 to %d", limit, MaxHistoryLimit)
	}
	if blocks < 1 || blocks > MaxHistoryBlocks {
		return nil, invalidParams("blocks %d: want 1 to %d", blocks, MaxHistoryBlocks)
	}
	top := api.b.Info().FinalHeight
	if q.Before != nil {
		if *q.Before == 0 {
			return nil, invalidParams("before 0: no block lies below genesis")
		}
		top = min(top, *q.Before-1)
	}
	out := &History{Account: q.Account, Notices: []Notice{}, To: top, From: top + 1}
	scanned := 0
	for h := top; h > 0 && int(top-h) < blocks && len(out.Notices) < limit && scanned < MaxHistoryTxs; h-- {
		b, _, receipts, err := api.b.BlockByNumber(h)
		if err != nil {
			return nil, internalError("read block", err)
		}
		scanned += len(b.Txs)
		notices := chain.BlockNotices(b, receipts)
		slices.Reverse(notices)
		for _, n := range notices {
			if n.Event.Concerns(q.Account) {
				out.Notices = append(out.Notices, api.assets.notice(n))
			}
		}
		out.From = h
	}
	out.More = out.From > 1
	return out, nil
}
