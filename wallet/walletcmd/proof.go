package walletcmd

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/wallet/proof"
	"github.com/urfave/cli/v2"
)

// proofResult is wallet proof --json: values taken from the verified proof,
// never from the node's JSON.
type proofResult struct {
	Address   common.Address  `json:"address"`
	Exists    bool            `json:"exists"`
	Verified  bool            `json:"verified"`
	Certified bool            `json:"certified"`
	Trust     string          `json:"trust"`
	Height    uint64          `json:"height"`
	BlockHash common.Hash     `json:"block_hash"`
	StateRoot common.Hash     `json:"state_root"`
	Bank      *common.Address `json:"bank"`
	Nonce     uint64          `json:"nonce"`
	Balances  []rpc.Balance   `json:"balances"`
	Warning   string          `json:"warning,omitempty"`
}

func walletProof(c *cli.Context) error {
	addr, err := argAddress(c)
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()

	trust, source, err := trustedGenesis(ctx, c, client)
	if err != nil {
		return err
	}
	p, err := client.Proof(ctx, rpc.ProofQuery{Account: &addr})
	if err != nil {
		return err
	}
	res := proofResult{Address: addr, Trust: source, Balances: []rpc.Balance{}}
	var pa *proof.ProvenAccount
	if p.Certificate == nil {
		// The head's certificate travels in its successor; the state root
		// still checks, but finality cannot be shown yet.
		pa, err = proof.CheckAccount(p, addr, nil)
		res.Warning = fmt.Sprintf("block %d has no commit certificate yet: its finality is not checked", p.Header.Height)
	} else {
		vs, ferr := proof.FollowSet(ctx, client, trust, p.Header.Height) // the set the header's height is certified by
		if ferr != nil {
			return fmt.Errorf("validator set at height %d from %s: %w", p.Header.Height, client.URL(), ferr)
		}
		pa, err = proof.CheckAccountWithSet(p, addr, trust.ChainID, vs)
	}
	if err != nil {
		return fmt.Errorf("proof for %s from %s: %w", addr.Hex(), client.URL(), err)
	}
	res.Verified, res.Certified = true, pa.Certified
	res.Height, res.BlockHash, res.StateRoot = pa.Header.Height, pa.Header.Hash(), pa.Header.StateRoot
	if a := pa.Account; a != nil {
		res.Exists, res.Bank, res.Nonce = true, &a.Bank, a.Nonce
		res.Balances = balances(trust, a)
	}
	if c.Bool("json") {
		return printJSON(c, res)
	}
	if res.Exists {
		printf(c, "account %s bank %s nonce %d\n", addr.Hex(), res.Bank.Hex(), res.Nonce)
		for _, b := range res.Balances {
			printf(c, "  %s available %s held %s locked %s\n", b.Asset, b.Available, b.Held, b.Locked)
		}
	} else {
		printf(c, "account %s does not exist (absence proven)\n", addr.Hex())
	}
	printf(c, "proof verified against block %d state root %s\n", res.Height, res.StateRoot.Hex())
	if res.Certified {
		printf(c, "certificate verified: block %d (%s) is final under the validators of %s\n", res.Height, res.BlockHash.Hex(), source)
	} else {
		printf(c, "warning: %s\n", res.Warning)
	}
	return nil
}

// trustedGenesis is --genesis, or the node's own genesis (which pins nothing
// the node could not fake).
func trustedGenesis(ctx context.Context, c *cli.Context, client *wallet.Client) (*chain.Genesis, string, error) {
	if path := c.String("genesis"); path != "" {
		g, err := chain.LoadGenesis(path)
		return g, path, err
	}
	g, err := client.Genesis(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("fetch genesis: %w", err)
	}
	info, err := client.ChainInfo(ctx)
	if err != nil {
		return nil, "", err
	}
	if g.ChainID != info.ChainID {
		return nil, "", fmt.Errorf("node's genesis is for chain %q but it runs %q", g.ChainID, info.ChainID)
	}
	return g, "the node's genesis (pass --genesis to pin your own)", nil
}

// balances formats every genesis asset's balance, then any other.
func balances(g *chain.Genesis, a *chain.Account) []rpc.Balance {
	dec := make(map[string]uint8)
	var order []string
	for _, as := range g.Assets {
		dec[as.Symbol] = as.Decimals
		order = append(order, as.Symbol)
	}
	for _, b := range a.Balances {
		if _, ok := dec[b.Asset]; !ok {
			order = append(order, b.Asset)
		}
	}
	out := make([]rpc.Balance, 0, len(order))
	for _, sym := range order {
		b, d := a.Balance(sym), dec[sym]
		out = append(out, rpc.Balance{
			Asset: sym, Decimals: d,
			Available: chain.FormatAmount(b.Available, d), Held: chain.FormatAmount(b.Held, d), Locked: chain.FormatAmount(b.Locked, d),
			AvailableUnits: b.Available, HeldUnits: b.Held, LockedUnits: b.Locked,
		})
	}
	return out
}
