package walletcmd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// NewWalletCommand builds "sovereign wallet": keys, balances, transfers, proofs.
func NewWalletCommand() *cli.Command {
	cmd := &cli.Command{
		Name:  "wallet",
		Usage: "manage keys, check balances, send transfers, hold escrows, withdraw, verify account proofs",
		Subcommands: []*cli.Command{
			{
				Name:   "new",
				Usage:  "create a key in the keystore and print its address",
				Flags:  []cli.Flag{keystoreFlag(), passwordFileFlag(), lightKDFFlag()},
				Action: walletNew,
			},
			{
				Name:      "import",
				Usage:     "import a hex private key from KEYFILE into the keystore and print its address",
				ArgsUsage: "KEYFILE",
				Flags:     []cli.Flag{keystoreFlag(), passwordFileFlag(), lightKDFFlag()},
				Action:    walletImport,
			},
			{
				Name:   "list",
				Usage:  "print the address of every key in the keystore, one per line",
				Flags:  []cli.Flag{keystoreFlag()},
				Action: walletList,
			},
			{
				Name:      "balance",
				Usage:     "print an account's balance of one asset and its nonce",
				ArgsUsage: "ADDRESS",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), assetFlag("asset symbol (default: the first asset in genesis)"), jsonFlag(), timeoutFlag()},
				Action:    walletBalance,
			},
			{
				Name:   "transfer",
				Usage:  "send a transfer and print its hash (exit status 3 if the chain rejects it)",
				Flags:  signerFlags(toFlag(), assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag()),
				Action: walletTransfer,
			},
			{
				Name:      "proof",
				Usage:     "fetch an account's Merkle proof, verify it against a final header and print the verified account",
				ArgsUsage: "ADDRESS",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), genesisFlag(), jsonFlag(), timeoutFlag()},
				Action:    walletProof,
			},
		},
	}
	cmd.Subcommands = append(cmd.Subcommands, escrowCommands()...)
	cmd.Subcommands = append(cmd.Subcommands, walletRequestCommands()...)
	cmd.Subcommands = append(cmd.Subcommands, walletPolicyCommands()...)
	return cmd
}

func walletNew(c *cli.Context) error {
	dir, err := keystoreDir(c)
	if err != nil {
		return err
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	var opts []wallet.KeyOption
	if c.Bool("lightkdf") {
		opts = append(opts, wallet.LightScrypt())
	}
	addr, err := wallet.NewAccount(dir, pw, opts...)
	if err != nil {
		return err
	}
	printf(c, "%s\n", addr.Hex())
	return nil
}

func walletImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("want exactly one KEYFILE argument (a file holding the hex private key)")
	}
	dir, err := keystoreDir(c)
	if err != nil {
		return err
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(c.Args().First())
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	var opts []wallet.KeyOption
	if c.Bool("lightkdf") {
		opts = append(opts, wallet.LightScrypt())
	}
	addr, err := wallet.ImportHexKey(dir, string(raw), pw, opts...)
	if err != nil {
		return err
	}
	printf(c, "%s\n", addr.Hex())
	return nil
}

func walletList(c *cli.Context) error {
	dir, err := keystoreDir(c)
	if err != nil {
		return err
	}
	addrs, err := wallet.List(dir)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		printf(c, "%s\n", a.Hex())
	}
	return nil
}

// balanceResult is wallet balance --json.
type balanceResult struct {
	Address common.Address `json:"address"`
	Bank    common.Address `json:"bank"`
	rpc.Balance
	Nonce uint64 `json:"nonce"`
}

func walletBalance(c *cli.Context) error {
	addr, err := argAddress(c)
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	asset := c.String("asset")
	if asset == "" {
		if asset, err = client.DefaultAsset(ctx); err != nil {
			return err
		}
	} else if _, err := client.Decimals(ctx, asset); err != nil {
		return err
	}
	acct, err := client.Account(ctx, addr, asset)
	if err != nil {
		return err
	}
	if len(acct.Balances) != 1 {
		return fmt.Errorf("node returned %d balances for %s", len(acct.Balances), asset)
	}
	b := acct.Balances[0]
	if c.Bool("json") {
		return printJSON(c, balanceResult{Address: acct.Address, Bank: acct.Bank, Balance: b, Nonce: acct.Nonce})
	}
	printf(c, "%s %s available %s held %s locked %s nonce %d\n", acct.Address.Hex(), b.Asset, b.Available, b.Held, b.Locked, acct.Nonce)
	return nil
}

func walletTransfer(c *cli.Context) error {
	to, err := parseAddress("--to", c.String("to"))
	if err != nil {
		return err
	}
	if c.String("amount") == "" {
		return errors.New("--amount is required, e.g. --amount 12.34")
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.Transfer(ctx, s.key, to, asset, c.String("amount"))
	})
}

// reportSubmitted prints a submitted transaction's hash (text) or result
// object (--json), waits with --wait, and maps a refusal to ExitRejected.
func reportSubmitted(c *cli.Context, client *wallet.Client, tx *chain.Tx, err error, extra ...func(*txResult)) error {
	decorate := func(r txResult) txResult {
		for _, f := range extra {
			f(&r)
		}
		return r
	}
	var re *wallet.RPCError
	if err != nil {
		if tx == nil || !errors.As(err, &re) || !re.Rejected() {
			return err // nothing was sent
		}
		if c.Bool("json") {
			if perr := printJSON(c, decorate(txResult{Hash: tx.Hash(), Status: wallet.StatusRejected, Code: re.Code, Error: err.Error()})); perr != nil {
				return perr
			}
		} else {
			printf(c, "%s\n", tx.Hash().Hex())
		}
		return rejected(err)
	}
	hash := tx.Hash()
	if !c.Bool("wait") {
		if c.Bool("json") {
			return printJSON(c, decorate(txResult{Hash: hash, Status: wallet.StatusPending}))
		}
		printf(c, "%s\n", hash.Hex())
		return nil
	}
	if !c.Bool("json") {
		printf(c, "%s\n", hash.Hex())
	}
	ctx, cancel := withTimeout(c)
	defer cancel()
	got, err := client.WaitFinal(ctx, hash)
	return reportWaited(c, hash, got, err, extra...)
}

// reportWaited prints the outcome of WaitFinal.
func reportWaited(c *cli.Context, hash common.Hash, got *rpc.Transaction, err error, extra ...func(*txResult)) error {
	if c.Bool("json") {
		res := txResult{Hash: hash, Status: "unknown"}
		if got != nil {
			res = resultOf(got)
		}
		for _, f := range extra {
			f(&res)
		}
		if err != nil {
			res.Error = err.Error()
		}
		if perr := printJSON(c, res); perr != nil {
			return perr
		}
	} else if err == nil {
		note(c, "final in block %d\n", *got.Height)
	}
	return rejected(err)
}
