package walletcmd

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// bankEscrowCommands are the bank's feedback, payout and reconciliation
// subcommands.
func bankEscrowCommands() []*cli.Command {
	rangeFlags := []cli.Flag{
		&cli.Uint64Flag{Name: "from-block", Value: 1, Category: catTx, Usage: "first block of the range"},
		&cli.Uint64Flag{Name: "to-block", Category: catTx, Usage: "last block of the range (default: the final height)"},
	}
	return []*cli.Command{
		{
			Name:  "feedback",
			Usage: "report what the bank did for an escrow (--escrow) or payout (--payout): --kind, --asset, --amount, --ref",
			Flags: signerFlags(escrowFlag(),
				&cli.StringFlag{Name: "payout", Category: catTx, Usage: "payout id (the withdraw transaction's hash)"},
				&cli.StringFlag{Name: "kind", Category: catTx, Usage: "hold_placed, hold_released, debit_executed, refund_executed, payout_executed or reversal"},
				assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag(),
				&cli.StringFlag{Name: "ref", Category: catTx, Usage: "the bank's own reference for what it did"}),
			Action:      bankFeedback,
			Subcommands: []*cli.Command{feedbackImportCommand()},
		},
		{
			Name:   "payouts",
			Usage:  "list the --from bank's payouts in a block range with their bank account details decrypted by its key",
			Flags:  append([]cli.Flag{rpcFlag(), rpcTokenFlag(), keystoreFlag(), passwordFileFlag(), fromFlag(), jsonFlag(), timeoutFlag()}, rangeFlags...),
			Action: bankPayouts,
		},
		{
			Name:  "reconcile",
			Usage: "report a bank's records in a block range by feedback status: matched, waiting, overdue, mismatched",
			Flags: append([]cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag(),
				&cli.StringFlag{Name: "bank", Category: catTx, EnvVars: []string{"SOV_FROM"}, Usage: "the bank's address"}}, rangeFlags...),
			Action: bankReconcile,
		},
	}
}

func bankFeedback(c *cli.Context) error {
	var record common.Hash
	var err error
	switch e, p := c.String("escrow"), c.String("payout"); {
	case e != "" && p != "":
		return errors.New("give --escrow or --payout, not both")
	case e != "":
		record, err = parseHash("--escrow", e)
	case p != "":
		record, err = parseHash("--payout", p)
	default:
		return errors.New("--escrow or --payout is required")
	}
	if err != nil {
		return err
	}
	if c.String("amount") == "" || c.String("kind") == "" || c.String("ref") == "" {
		return errors.New("--kind, --amount and --ref are required")
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.Feedback(ctx, s.key, record, c.String("kind"), asset, c.String("amount"), c.String("ref"))
	})
}

func bankRange(c *cli.Context, bank common.Address) rpc.BankRange {
	q := rpc.BankRange{Bank: bank}
	from := c.Uint64("from-block")
	q.From = &from
	if c.IsSet("to-block") {
		to := c.Uint64("to-block")
		q.To = &to
	}
	return q
}

// payoutResult is one payout in bank payouts --json.
type payoutResult struct {
	rpc.Payout
	PayoutDetails string `json:"payout_details"` // decrypted
	DecryptError  string `json:"decrypt_error,omitempty"`
}

func bankPayouts(c *cli.Context) error {
	bank, key, err := unlock(c)
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	list, err := client.Payouts(ctx, bankRange(c, bank))
	if err != nil {
		return err
	}
	out := make([]payoutResult, len(list))
	for i := range list {
		out[i].Payout = list[i]
		pt, err := wallet.DecryptPayout(key, &list[i])
		if err != nil {
			out[i].DecryptError = err.Error()
		} else {
			out[i].PayoutDetails = string(pt)
		}
	}
	if c.Bool("json") {
		return printJSON(c, out)
	}
	for _, p := range out {
		printf(c, "%s %s %s %s %s %q\n", p.ID.Hex(), p.Account.Hex(), p.Amount, p.Asset, p.BankStatus, p.PayoutDetails)
	}
	return nil
}

func bankReconcile(c *cli.Context) error {
	bank, err := parseAddress("--bank", c.String("bank"))
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	rep, err := client.Reconciliation(ctx, bankRange(c, bank))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, rep)
	}
	printf(c, "bank %s blocks %d..%d at height %d\n", rep.Bank.Hex(), rep.From, rep.To, rep.Height)
	for _, part := range []struct {
		name string
		recs []rpc.ReconRecord
	}{{"matched", rep.Matched}, {"waiting", rep.Waiting}, {"overdue", rep.Overdue}, {"mismatched", rep.Mismatched}} {
		printf(c, "%-10s %d\n", part.name, len(part.recs))
		for _, r := range part.recs {
			printf(c, "  %s %s block %d\n", r.Kind, r.ID.Hex(), r.Height)
		}
	}
	return nil
}
