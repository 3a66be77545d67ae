package walletcmd

import (
	"errors"
	"os"

	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// feedbackImportCommand is "sovereign bank feedback import": a bank's
// camt.054 file as feedback (wallet/camt054.go has the mapping rules).
func feedbackImportCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "read a camt.054 (.001.02 or .001.08) --file and submit the feedback its entries report on the --from bank's escrows and payouts",
		Flags: baseSignerFlags(
			&cli.StringFlag{Name: "file", Category: catTx, Usage: "the camt.054 notification (XML)"},
			&cli.BoolFlag{Name: "dry-run", Category: catTx, Usage: "show what would be submitted; submit nothing"}),
		Action: feedbackImport,
	}
}

func feedbackImport(c *cli.Context) error {
	if c.String("file") == "" {
		return errors.New("--file is required")
	}
	f, err := os.Open(c.String("file"))
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := newSender(c)
	if err != nil {
		return err
	}
	defer s.client.Close()
	ctx, cancel := withTimeout(c)
	defer cancel()
	rep, err := s.client.ImportCamt054(ctx, s.key, f, wallet.ImportOptions{DryRun: c.Bool("dry-run"), Wait: c.Bool("wait")})
	if rep == nil {
		return err
	}
	if c.Bool("json") {
		if perr := printJSON(c, rep); perr != nil {
			return perr
		}
	} else {
		printImport(c, rep)
	}
	return err
}

func printImport(c *cli.Context, rep *wallet.ImportReport) {
	verb := "submitted"
	if rep.DryRun {
		verb = "to submit"
	}
	printf(c, "%s %s: %d %s, %d skipped, %d pending, %d unmatched\n", rep.Version, rep.MessageID, rep.Submitted, verb, rep.Skipped, rep.Pending, rep.Unmatched)
	printf(c, "%-10s %-28s %-35s %-4s %-4s %14s %-3s  %-20s %s\n", "OUTCOME", "WHERE", "END-TO-END ID", "C/D", "STS", "AMOUNT", "CCY", "BANK REF", "FEEDBACK / REASON")
	for _, outcome := range []string{wallet.ImportSubmitted, wallet.ImportSkipped, wallet.ImportPending, wallet.ImportUnmatched} {
		for _, e := range rep.Entries[outcome] {
			what := e.Reason
			if outcome == wallet.ImportSubmitted {
				what = e.Kind
				if e.Code != "" {
					what += " (" + e.Code + ")"
				}
			}
			sts := e.Status
			if e.Reversal {
				sts = "RVSL"
			}
			printf(c, "%-10s %-28s %-35s %-4s %-4s %14s %-3s  %-20s %s\n", outcome, e.Where, e.EndToEndID, e.CreditDebit, sts, e.Amount, e.Currency, e.BankRef, what)
		}
	}
}
