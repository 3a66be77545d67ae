package walletcmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// Payment requests and aliases (docs/PAYMENTS.md walks through them on the
// devnet).

func requestFlag() cli.Flag {
	return &cli.StringFlag{Name: "request", Category: catTx, EnvVars: []string{"SOV_REQUEST"}, Usage: "request id (the request transaction's hash)"}
}

// NewMerchantCommand builds "sovereign merchant": payment requests.
func NewMerchantCommand() *cli.Command {
	return &cli.Command{
		Name:  "merchant",
		Usage: "ask a payer (address or alias) to pay, follow and cancel requests",
		Subcommands: []*cli.Command{
			{
				Name:  "request",
				Usage: "ask --payer (an address, a phone number in international form or an e-mail address) to pay --amount of --asset; prints the request id",
				Flags: signerFlags(
					&cli.StringFlag{Name: "payer", Category: catTx, Usage: "the payer: address, +8613800138000 or name@example.com"},
					assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag(),
					&cli.DurationFlag{Name: "expires", Value: 15 * time.Minute, Category: catTx, Usage: "block time after which the request can no longer be accepted"},
					&cli.Uint64Flag{Name: "expires-at", Category: catTx, Usage: "the expiry as a block time in Unix milliseconds, instead of --expires"},
					&cli.StringFlag{Name: "ref", Category: catTx, Usage: "your order reference (at most 35 characters)"},
					&cli.BoolFlag{Name: "escrow", Category: catTx, Usage: "paid into escrow (released later) rather than directly"},
					&cli.StringFlag{Name: "arbiter", Category: catTx, Usage: "with --escrow: an optional third party who may release or refund"},
					&cli.DurationFlag{Name: "hold-for", Value: wallet.DefaultHoldFor, Category: catTx, Usage: "with --escrow: how long the hold lasts after the payer accepts"}),
				Action: merchantRequest,
			},
			{
				Name:      "request-status",
				Usage:     "print a request: status, amount, and the escrow it was paid into",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
				Action:    requestStatus,
			},
			{
				Name:   "cancel",
				Usage:  "withdraw an open --request you made",
				Flags:  signerFlags(requestFlag()),
				Action: merchantCancel,
			},
			{
				Name:      "requests",
				Usage:     "list the requests ADDRESS made, newest first",
				ArgsUsage: "ADDRESS",
				Flags:     listRequestFlags(""),
				Action:    func(c *cli.Context) error { return listRequests(c, false) },
			},
		},
	}
}

func listRequestFlags(status string) []cli.Flag {
	return []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag(),
		&cli.StringFlag{Name: "status", Value: status, Category: catTx, Usage: "only requests that are open, paid, declined, expired or cancelled (\"\" for all)"}}
}

// walletRequestCommands are the payer's subcommands of "sovereign wallet".
func walletRequestCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:      "requests",
			Usage:     "list the requests waiting for ADDRESS to pay (--status \"\" for all)",
			ArgsUsage: "ADDRESS",
			Flags:     listRequestFlags("open"),
			Action:    func(c *cli.Context) error { return listRequests(c, true) },
		},
		{
			Name:   "accept",
			Usage:  "pay --request: exactly what it asks, directly or into escrow as it says",
			Flags:  signerFlags(requestFlag()),
			Action: walletAccept,
		},
		{
			Name:  "decline",
			Usage: "refuse --request with a --reason code",
			Flags: signerFlags(requestFlag(),
				&cli.StringFlag{Name: "reason", Value: "CUST", Category: catTx, Usage: "reason code (ISO 20022 style; CUST: the customer's decision)"}),
			Action: walletDecline,
		},
	}
}

// bankAliasCommand is "sovereign bank alias bind|unbind".
func bankAliasCommand() *cli.Command {
	aliasFlag := &cli.StringFlag{Name: "alias", Category: catTx, Usage: "phone number in international form (+8613800138000) or e-mail address"}
	return &cli.Command{
		Name:  "alias",
		Usage: "bind or unbind a customer's payment alias (only its salted hash goes on chain)",
		Subcommands: []*cli.Command{
			{
				Name:   "bind",
				Usage:  "bind --alias to --account, which the --from bank services (rebinding moves it)",
				Flags:  signerFlags(aliasFlag, &cli.StringFlag{Name: "account", Category: catTx, Usage: "the account the alias names"}),
				Action: bankAliasBind,
			},
			{
				Name:   "unbind",
				Usage:  "remove the --from bank's binding of --alias",
				Flags:  signerFlags(aliasFlag, &cli.StringFlag{Name: "account", Category: catTx, Usage: "ignored; accepted for symmetry with bind"}),
				Action: bankAliasUnbind,
			},
			{
				Name:      "resolve",
				Usage:     "print the account ALIAS names, its bank and the block that bound it",
				ArgsUsage: "ALIAS",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
				Action:    aliasResolve,
			},
		},
	}
}

func merchantRequest(c *cli.Context) error {
	if c.String("payer") == "" || c.String("amount") == "" {
		return errors.New("--payer and --amount are required")
	}
	o := wallet.RequestOptions{Expires: c.Duration("expires"), ExpiryAt: c.Uint64("expires-at"), Ref: c.String("ref"), Escrow: c.Bool("escrow")}
	if a := c.String("arbiter"); a != "" {
		if !o.Escrow {
			return errors.New("--arbiter needs --escrow")
		}
		var err error
		if o.Arbiter, err = parseAddress("--arbiter", a); err != nil {
			return err
		}
	}
	if o.Escrow {
		o.HoldFor = c.Duration("hold-for")
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.Request(ctx, s.key, c.String("payer"), asset, c.String("amount"), o)
	}, func(r *txResult) { id := r.Hash; r.Request = &id })
}

func requestID(c *cli.Context) (common.Hash, error) {
	if c.String("request") == "" {
		return common.Hash{}, errors.New("--request is required")
	}
	return parseHash("--request", c.String("request"))
}

func walletAccept(c *cli.Context) error {
	id, err := requestID(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.Accept(ctx, s.key, id)
	}, func(r *txResult) { r.Request = &id })
}

func walletDecline(c *cli.Context) error {
	id, err := requestID(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.Decline(ctx, s.key, id, c.String("reason"))
	}, func(r *txResult) { r.Request = &id })
}

func merchantCancel(c *cli.Context) error {
	id, err := requestID(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.CancelRequest(ctx, s.key, id)
	}, func(r *txResult) { r.Request = &id })
}

func requestStatus(c *cli.Context) error {
	return showByID(c, "request", (*wallet.Client).PaymentRequest, printRequest)
}

func printRequest(c *cli.Context, r *rpc.Request) {
	printf(c, "request      %s\nstatus       %s\n", r.ID.Hex(), r.Status)
	printf(c, "merchant     %s\npayer        %s\n", r.Merchant.Hex(), r.Payer.Hex())
	printf(c, "amount       %s %s\nmode         %s\nexpiry       %s\n", r.Amount, r.Asset, r.Mode, r.ExpiryTime)
	if r.Ref != "" {
		printf(c, "ref          %s\n", r.Ref)
	}
	if r.Payment != nil {
		printf(c, "payment      %s\n", r.Payment.Hex())
	}
	if r.Escrow != nil {
		printf(c, "escrow       %s\nend-to-end   %s\n", r.Escrow.Hex(), r.EndToEndID)
	}
	if r.Reason != "" {
		printf(c, "reason       %s\n", r.Reason)
	}
}

func listRequests(c *cli.Context, asPayer bool) error {
	who, err := argAddress(c)
	if err != nil {
		return err
	}
	q := rpc.RequestList{Status: c.String("status")}
	if asPayer {
		q.Payer = &who
	} else {
		q.Merchant = &who
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	list, err := client.PaymentRequests(ctx, q)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if list == nil {
			list = []rpc.Request{}
		}
		return printJSON(c, list)
	}
	for _, r := range list {
		other := r.Merchant
		if !asPayer {
			other = r.Payer
		}
		printf(c, "%s  %-9s  %s %s  %s  expires %s  %s\n", r.ID.Hex(), r.Status, r.Amount, r.Asset, other.Hex(), r.ExpiryTime, r.Ref)
	}
	return nil
}

// aliasFlagValue is --alias, checked before anything is unlocked or sent.
func aliasFlagValue(c *cli.Context) (string, error) {
	if c.String("alias") == "" {
		return "", errors.New("--alias is required")
	}
	_, err := chain.NormalizeAlias(c.String("alias"))
	return c.String("alias"), err
}

func bankAliasBind(c *cli.Context) error {
	account, err := parseAddress("--account", c.String("account"))
	if err != nil {
		return err
	}
	alias, err := aliasFlagValue(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.BindAlias(ctx, s.key, account, alias)
	})
}

func bankAliasUnbind(c *cli.Context) error {
	alias, err := aliasFlagValue(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.UnbindAlias(ctx, s.key, alias)
	})
}

func aliasResolve(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want exactly one ALIAS argument, got %d", c.NArg())
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	res, err := client.ResolveAlias(ctx, c.Args().First())
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, res)
	}
	printf(c, "account  %s\nbank     %s\nheight   %d\n", res.Account.Hex(), res.Bank.Hex(), res.Height)
	return nil
}
