package walletcmd

import (
	"context"
	"errors"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/urfave/cli/v2"
)

// NewBankCommand builds "sovereign bank": a member bank's own transactions.
func NewBankCommand() *cli.Command {
	signer := signerFlags
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
	cmd.Subcommands = append(cmd.Subcommands, bankAliasCommand(), bankPolicyCommand())
	return cmd
}

func bankRegister(c *cli.Context) error {
	account, err := argAddress(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.RegisterAccount(ctx, s.key, account)
	})
}

func bankMint(c *cli.Context) error {
	to, err := parseAddress("--to", c.String("to"))
	if err != nil {
		return err
	}
	return submitAmount(c, func(ctx context.Context, s *sender, asset string) (*chain.Tx, error) {
		return s.client.Mint(ctx, s.key, to, asset, c.String("amount"))
	})
}

func bankBurn(c *cli.Context) error {
	return submitAmount(c, func(ctx context.Context, s *sender, asset string) (*chain.Tx, error) {
		return s.client.Burn(ctx, s.key, asset, c.String("amount"))
	})
}

// submitAmount is submit for amount-carrying transactions: --amount is
// required and --asset defaults to the chain's first asset.
func submitAmount(c *cli.Context, send func(ctx context.Context, s *sender, asset string) (*chain.Tx, error)) error {
	if c.String("amount") == "" {
		return errors.New("--amount is required, e.g. --amount 12.34")
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return send(ctx, s, asset)
	})
}
