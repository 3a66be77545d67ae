package faultnet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/wallet/proof"
)

// Checked is what Check looked at.
type Checked struct {
	Height uint64 // the common final height compared on every node
	Txs    int    // transactions in blocks 1..Height
	Acked  int    // acknowledged transactions, each found final once
}

// Check verifies, on every node of c (all must be running): they reach a
// common final height H within timeout; blocks 1..H have the same hash and
// state root everywhere; every acknowledged transaction is in exactly one of
// them, succeeded, and every node reports it final; per asset, the sum of
// available + held + locked over all accounts equals minted − burned. It
// returns every violation it finds, not only the first.
func Check(c *Cluster, acked []common.Hash, timeout time.Duration) (Checked, error) {
	var res Checked
	all := c.All()
	for _, i := range all {
		if c.State(i) != Up {
			return res, fmt.Errorf("check: node %d is not running", i)
		}
	}
	res.Height, _ = c.MaxFinal(all...)
	if _, err := c.WaitFinal(res.Height, timeout, all...); err != nil {
		return res, fmt.Errorf("check: nodes do not reach a common height: %w", err)
	}
	var errs []error
	report := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}

	// Identical blocks; where each transaction is.
	at := map[common.Hash][]uint64{}
	failed := map[common.Hash]string{}
	for h := uint64(1); h <= res.Height; h++ {
		blocks := make([]*rpc.Block, len(all))
		for _, i := range all {
			b, err := c.block(i, h)
			if err != nil {
				report("node %d, block %d: %v", i, h, err)
				continue
			}
			blocks[i] = b
		}
		ref := blocks[0]
		if ref == nil {
			continue
		}
		for _, i := range all[1:] {
			if b := blocks[i]; b != nil && (b.Hash != ref.Hash || b.StateRoot != ref.StateRoot) {
				report("FORK at height %d: node 0 has block %s (state %s), node %d has %s (state %s)",
					h, ref.Hash, ref.StateRoot, i, b.Hash, b.StateRoot)
			}
		}
		res.Txs += ref.TxCount
		for _, tx := range ref.Transactions {
			at[tx] = append(at[tx], h)
		}
		for _, r := range ref.Receipts {
			if !r.OK {
				failed[r.TxHash] = r.Code
			}
		}
	}

	// Every acknowledged transaction final exactly once, on every node.
	for _, h := range acked {
		switch n := len(at[h]); {
		case n == 0:
			report("LOST: acknowledged tx %s is in no block up to %d", h, res.Height)
		case n > 1:
			report("DUPLICATE: acknowledged tx %s is in blocks %v", h, at[h])
		case failed[h] != "":
			report("acknowledged tx %s failed in block %d: %s", h, at[h][0], failed[h])
		default:
			res.Acked++
		}
	}
	errs = append(errs, checkFinalEverywhere(c, acked)...)
	errs = append(errs, checkConservation(c)...)
	return res, errors.Join(errs...)
}

func (c *Cluster) block(i int, h uint64) (*rpc.Block, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Clients[i].BlockByNumber(ctx, rpc.Height(h), false)
}

// checkFinalEverywhere asks every node for every acknowledged transaction.
func checkFinalEverywhere(c *Cluster, acked []common.Hash) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, i := range c.All() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bad := 0
			var first error
			for _, h := range acked {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				tx, err := c.Clients[i].Transaction(ctx, h)
				cancel()
				if err == nil && tx.Status != wallet.StatusFinal {
					err = fmt.Errorf("status %q", tx.Status)
				}
				if err != nil {
					bad++
					if first == nil {
						first = fmt.Errorf("tx %s: %w", h, err)
					}
				}
			}
			if bad > 0 {
				mu.Lock()
				errs = append(errs, fmt.Errorf("node %d: %d acknowledged transactions not final there (first: %v)", i, bad, first))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// checkConservation checks on every node that, per asset, the balances of
// every account (genesis accounts, banks and validators: the load creates
// none) add up to minted − burned, read from the asset's state entry with
// its Merkle proof.
func checkConservation(c *Cluster) []error {
	var addrs []common.Address
	for _, a := range c.Genesis.Accounts {
		addrs = append(addrs, a.Address)
	}
	for _, b := range c.Genesis.Banks {
		addrs = append(addrs, b.Address)
	}
	for _, v := range c.Genesis.Validators {
		addrs = append(addrs, v.Address)
	}
	var errs []error
	for _, i := range c.All() {
		for _, asset := range c.Genesis.Assets {
			supply, err := assetSupply(c.Clients[i], asset.Symbol)
			if err != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", i, err))
				continue
			}
			sum, err := sumBalances(c.Clients[i], addrs, asset.Symbol)
			if err != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", i, err))
				continue
			}
			if sum != supply {
				errs = append(errs, fmt.Errorf("MONEY: node %d, %s: accounts hold %d units, minted − burned is %d", i, asset.Symbol, sum, supply))
			}
		}
	}
	return errs
}

// assetSupply is minted − burned of an asset, from its state entry checked
// against the state root of the header the proof names.
func assetSupply(cl *wallet.Client, symbol string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	key := chain.AssetKey(symbol)
	p, err := cl.Proof(ctx, rpc.ProofQuery{Key: hexutil.Bytes(key)})
	if err != nil {
		return 0, fmt.Errorf("asset %s proof: %w", symbol, err)
	}
	nodes := make([][]byte, len(p.Nodes))
	for k, n := range p.Nodes {
		nodes[k] = n
	}
	val, err := proof.Verify(p.Header.StateRoot, key, nodes)
	if err != nil {
		return 0, fmt.Errorf("asset %s proof: %w", symbol, err)
	}
	var info chain.AssetInfo
	if err := rlp.DecodeBytes(val, &info); err != nil {
		return 0, fmt.Errorf("asset %s: decode: %w", symbol, err)
	}
	if info.Burned > info.Minted {
		return 0, fmt.Errorf("asset %s: burned %d > minted %d", symbol, info.Burned, info.Minted)
	}
	return info.Minted - info.Burned, nil
}

func sumBalances(cl *wallet.Client, addrs []common.Address, symbol string) (uint64, error) {
	var sum uint64
	for _, a := range addrs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		acct, err := cl.Account(ctx, a, symbol)
		cancel()
		if wallet.IsCode(err, rpc.ErrCodeAccountNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("account %s: %w", a, err)
		}
		for _, b := range acct.Balances {
			if b.Asset == symbol {
				sum += b.AvailableUnits + b.HeldUnits + b.LockedUnits
			}
		}
	}
	return sum, nil
}
