package walletcmd

import (
	"context"
	"crypto/ecdsa"
	"errors"

	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// NewBankCommand builds "sovereign bank": a member bank's own transactions.
func NewBankCommand() *cli.Command {
	signer := func(extra ...cli.Flag) []cli.Flag {
		return append([]cli.Flag{rpcFlag(), keystoreFlag(), passwordFileFlag(), fromFlag(), waitFlag(), timeoutFlag(), jsonFlag()}, extra...)
	}
	cmd := &cli.Command{
		Name:  "bank",
		Usage: "member bank transactions: register accounts, mint and burn, report feedback, pay out, reconcile",
		Subcommands: []*cli.Command{
			{
				Name:      "register-account",
				Usage:     "register ADDRESS as an account serviced by the --from bank",
				ArgsUsage: "ADDRESS",
				Flags:     signer(),
				Action:    bankRegister,
			},
			{
				Name:   "mint",
				Usage:  "mint --amount of --asset into --to (an account the --from bank services)",
				Flags:  signer(toFlag(), assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag()),
				Action: bankMint,
			},
			{
				Name:   "burn",
				Usage:  "burn --amount of --asset from the --from bank's own balance (a payout)",
				Flags:  signer(assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag()),
				Action: bankBurn,
			},
		},
	}
	cmd.Subcommands = append(cmd.Subcommands, bankEscrowCommands()...)
	return cmd
}

func bankRegister(c *cli.Context) error {
	account, err := argAddress(c)
	if err != nil {
		return err
	}
	_, key, err := unlock(c)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(c)
	defer cancel()
	client, err := dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	tx, err := client.RegisterAccount(ctx, key, account)
	return reportSubmitted(c, client, tx, err)
}

func bankMint(c *cli.Context) error {
	to, err := parseAddress("--to", c.String("to"))
	if err != nil {
		return err
	}
	return bankAmount(c, func(s *amountTx) error {
		tx, err := s.client.Mint(s.ctx, s.key, to, s.asset, c.String("amount"))
		return reportSubmitted(c, s.client, tx, err)
	})
}

func bankBurn(c *cli.Context) error {
	return bankAmount(c, func(s *amountTx) error {
		tx, err := s.client.Burn(s.ctx, s.key, s.asset, c.String("amount"))
		return reportSubmitted(c, s.client, tx, err)
	})
}

// bankAmount does the shared setup of amount-carrying bank transactions.
func bankAmount(c *cli.Context, send func(*amountTx) error) error {
	if c.String("amount") == "" {
		return errors.New("--amount is required, e.g. --amount 12.34")
	}
	_, key, err := unlock(c)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(c)
	defer cancel()
	client, err := dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	asset := c.String("asset")
	if asset == "" {
		if asset, err = client.DefaultAsset(ctx); err != nil {
			return err
		}
	}
	return send(&amountTx{ctx: ctx, client: client, key: key, asset: asset})
}

// amountTx is what an amount-carrying command has ready before it sends.
type amountTx struct {
	ctx    context.Context
	client *wallet.Client
	key    *ecdsa.PrivateKey
	asset  string
}
