package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// hashChains holds this validator's hash chains: the one from its
// configuration (whose tip genesis holds) and every later one it generated,
// kept in DATADIR/hashchains/<tip>.json so a restart finds them. Which one
// is current is read from state, never assumed.
type hashChains struct {
	dir     string
	byTip   map[common.Hash]*chain.HashChain
	current *chain.HashChain
	pending common.Hash // tx hash of a commitment not yet final
}

type hashChainFile struct {
	Secret common.Hash `json:"secret"`
	Length uint64      `json:"length"`
}

func loadHashChains(dir string, genesisSecret common.Hash, length uint64) (*hashChains, error) {
	h := &hashChains{dir: dir, byTip: map[common.Hash]*chain.HashChain{}}
	first := chain.NewHashChain(genesisSecret, length)
	h.byTip[first.Tip()] = first
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read hash chains: %w", err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var f hashChainFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("hash chain file %s: %w", e.Name(), err)
		}
		hc := chain.NewHashChain(f.Secret, f.Length)
		h.byTip[hc.Tip()] = hc
	}
	return h, nil
}

// reveal is the one valid reveal for this validator's next block.
func (h *hashChains) reveal(v *chain.ValidatorState) (common.Hash, error) {
	if v.Spent() {
		next := h.byTip[v.NextTip]
		if next == nil {
			return common.Hash{}, errRevealsSpent
		}
		return next.Reveal(1)
	}
	hc, err := h.currentFor(v)
	if err != nil {
		return common.Hash{}, err
	}
	return hc.Reveal(v.Reveals + 1)
}

// currentFor finds the chain whose v.Reveals-th element is v.LastReveal.
func (h *hashChains) currentFor(v *chain.ValidatorState) (*chain.HashChain, error) {
	at := func(hc *chain.HashChain) common.Hash {
		if v.Reveals == 0 {
			return hc.Tip()
		}
		r, _ := hc.Reveal(v.Reveals)
		return r
	}
	if h.current != nil && h.current.Length() == v.Length && at(h.current) == v.LastReveal {
		return h.current, nil
	}
	for _, hc := range h.byTip {
		if hc.Length() == v.Length && at(hc) == v.LastReveal {
			h.current = hc
			return hc, nil
		}
	}
	return nil, fmt.Errorf("no hash chain of this node matches the validator's last reveal %s (reveal %d of %d)", v.LastReveal, v.Reveals, v.Length)
}

// needsNext reports whether it is time to commit the next chain: a
// quarter of the current one left (at least two reveals, so a lone
// validator's commitment lands before it needs it) and none committed.
func needsNext(v *chain.ValidatorState) bool {
	margin := max(v.Length/4, 2)
	return v.NextTip == (common.Hash{}) && v.Length-min(v.Reveals, v.Length) <= margin
}

// generate makes a new chain of length and writes its secret to disk
// (synced) before anyone can learn its tip.
func (h *hashChains) generate(length uint64) (*chain.HashChain, error) {
	var secret common.Hash
	if _, err := cryptoRand(secret[:]); err != nil {
		return nil, err
	}
	hc := chain.NewHashChain(secret, length)
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(hashChainFile{Secret: secret, Length: length})
	path := filepath.Join(h.dir, hc.Tip().Hex()+".json")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write hash chain secret: %w", err)
	}
	if _, err := f.Write(raw); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write hash chain secret: %w", err)
	}
	h.byTip[hc.Tip()] = hc
	return hc, nil
}

func cryptoRand(b []byte) (int, error) { return rand.Read(b) }

// rotator commits this validator's next hash chain, once a quarter of the
// current one is left, from its own account; until that transaction is
// final it is re-sent if the pool dropped it. Only the driver goroutine
// calls it, after each commit.
type rotator struct {
	ledger      *ledger.Ledger
	pool        *txpool.Pool
	chains      *hashChains
	own         *ownTxs
	self        common.Address
	length      uint64 // of new chains
	revealsLeft prometheus.Gauge
	log         *slog.Logger
}

func (r *rotator) rotate() error {
	v, ok := r.ledger.State().Validator(r.self)
	if !ok {
		return nil
	}
	r.revealsLeft.Set(float64(v.Length) - float64(min(v.Reveals, v.Length)))
	if !needsNext(v) {
		r.chains.pending = common.Hash{}
		return nil
	}
	if p := r.chains.pending; p != (common.Hash{}) && r.pool.Has(p) {
		return nil // on its way
	}
	next, err := r.chains.generate(r.length)
	if err != nil {
		return err
	}
	hash, err := r.own.send(chain.CommitHashChain{Tip: next.Tip(), Length: next.Length()})
	if err != nil {
		r.log.Warn("hash-chain commitment refused; will retry", "err", err)
		return nil
	}
	r.chains.pending = hash
	r.log.Info("committed next hash chain", "tip", next.Tip(), "reveals_left", v.Length-min(v.Reveals, v.Length), "tx", hash)
	return nil
}
