package walletcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// Account policies, supervisor approval and purchase sub-accounts
// (docs/POLICIES.md walks through them on the devnet).

func accountFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "account", Category: catTx, EnvVars: []string{"SOV_ACCOUNT"}, Usage: usage}
}

func paymentFlag() cli.Flag {
	return &cli.StringFlag{Name: "payment", Category: catTx, Usage: "the waiting payment's id (its transaction's hash)"}
}

func subFlag() cli.Flag {
	return &cli.StringFlag{Name: "sub", Category: catTx, Usage: "the sub-account's address"}
}

func policyFlags() []cli.Flag {
	return []cli.Flag{
		accountFlag("the account whose policy to set"),
		&cli.StringFlag{Name: "tiers", Category: catTx, Usage: `amount tiers per asset, ASSET:SMALL,NORMAL, several separated by ';': "CNY:500,5000" (small up to 500, normal up to 5000, large above)`},
		&cli.StringFlag{Name: "guardians", Category: catTx, Usage: "guardian addresses, comma-separated"},
		&cli.Uint64Flag{Name: "threshold", Category: catTx, Usage: "how many guardians must co-sign a large debit (default: 1 with guardians)"},
		&cli.StringFlag{Name: "supervisor", Category: catTx, Usage: "supervisor address that must approve large debits"},
		&cli.BoolFlag{Name: "new-payee-guardian", Category: catTx, Usage: "a first payment to a new payee needs the guardians whatever the amount"},
	}
}

func policyShowCommand() *cli.Command {
	return &cli.Command{
		Name: "show", Usage: "print an account's policy and verification key", ArgsUsage: "ADDRESS",
		Flags:  []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
		Action: policyShow,
	}
}

// bankPolicyCommand is "sovereign bank policy": the servicing bank sets
// any valid policy (or removes it with no tiers, guardians or supervisor).
func bankPolicyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "set or show an account's policy: verification tiers, guardians, supervisor",
		Subcommands: []*cli.Command{
			{
				Name: "set", Usage: "set --account's policy (the --from bank services it); the account's verification key is its withdrawal key (wallet set-withdrawal-key)",
				Flags: signerFlags(policyFlags()...), Action: policySet,
			},
			policyShowCommand(),
		},
	}
}

// walletPolicyCommands are the wallet's policy, approval and sub-account
// commands.
func walletPolicyCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:  "policy",
			Usage: "tighten your own policy, or show an account's",
			Subcommands: []*cli.Command{
				{
					Name: "set", Usage: "set --account's (your own) policy: only a tighter one than it has",
					Flags: signerFlags(policyFlags()...), Action: policySet,
				},
				policyShowCommand(),
			},
		},
		{
			Name: "approve", Usage: "approve a payment waiting for you (--from the supervisor): it executes now",
			Flags: signerFlags(paymentFlag()), Action: submitOn("payment", func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
				return s.client.ApprovePayment(ctx, s.key, id)
			}),
		},
		{
			Name: "reject", Usage: "reject a payment waiting for you (--from the supervisor): its funds never move",
			Flags: signerFlags(paymentFlag(), &cli.StringFlag{Name: "reason", Value: "rejected_by_supervisor", Category: catTx, Usage: "reason code (letters, digits, '_' or '-')"}),
			Action: submitOn("payment", func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
				return s.client.RejectPayment(ctx, s.key, id, c.String("reason"))
			}),
		},
		{
			Name: "recall", Usage: "withdraw your own payment (--from the payer) while it waits for the supervisor",
			Flags: signerFlags(paymentFlag()), Action: submitOn("payment", func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
				return s.client.RecallPayment(ctx, s.key, id)
			}),
		},
		{
			Name:  "approvals",
			Usage: "list the payments waiting for --supervisor, or those of --payer, newest first",
			Flags: []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag(),
				&cli.StringFlag{Name: "supervisor", Category: catTx, Usage: "the supervisor's address"},
				&cli.StringFlag{Name: "payer", Category: catTx, Usage: "the payer's address"},
				&cli.StringFlag{Name: "status", Value: "awaiting_approval", Category: catTx, Usage: "awaiting_approval, approved, rejected, recalled, lapsed or any"},
				&cli.IntFlag{Name: "limit", Category: catTx, Usage: "at most this many (default 100)"}},
			Action: listApprovals,
		},
		subAccountCommand(),
	}
}

func subTermsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "limit", Category: catTx, Usage: `spending limit ASSET:AMOUNT/PERIOD (repeatable), PERIOD hour, day, week, month (30 days) or a duration such as 12h: "CNY:200/day"`},
		&cli.StringFlag{Name: "merchants", Category: catTx, Usage: "the only payees allowed, comma-separated (default: any)"},
		&cli.BoolFlag{Name: "draw", Category: catTx, Usage: "funding: purchases the sub-account's balance does not cover draw from the main account, within the limit (default: top up by transfer)"},
	}
}

func subAccountCommand() *cli.Command {
	return &cli.Command{
		Name:  "sub-account",
		Usage: "purchase sub-accounts: create, change limits, freeze, close, show",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "create --sub as --main's purchase sub-account (--from the main account or its bank)",
				Flags:  signerFlags(append([]cli.Flag{subFlag(), &cli.StringFlag{Name: "main", Category: catTx, Usage: "the main account (default: --from)"}}, subTermsFlags()...)...),
				Action: subAccountCreate,
			},
			{
				Name: "limit", Usage: "replace --sub's limits, merchants and funding",
				Flags: signerFlags(append([]cli.Flag{subFlag()}, subTermsFlags()...)...), Action: subAccountLimit,
			},
			{
				Name: "freeze", Usage: "freeze --sub (no debit until thawed), or with --thaw thaw it",
				Flags:  signerFlags(subFlag(), &cli.BoolFlag{Name: "thaw", Category: catTx, Usage: "thaw instead"}),
				Action: subAccountFreeze,
			},
			{
				Name: "close", Usage: "close --sub for good; what remains returns to the main account",
				Flags: signerFlags(subFlag()), Action: subAccountClose,
			},
			{
				Name: "show", Usage: "print a sub-account: limits, remaining allowance, period reset times", ArgsUsage: "ADDRESS",
				Flags:  []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
				Action: subAccountShow,
			},
		},
	}
}

// parseAddressList reads comma-separated addresses (empty: none), sorted
// and distinct.
func parseAddressList(what, s string) ([]common.Address, error) {
	var out []common.Address
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		a, err := parseAddress(what, part)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return wallet.SortAddresses(what, out)
}

// policyOf reads a policy from the command's flags.
func policyOf(ctx context.Context, c *cli.Context, client *wallet.Client) (chain.Policy, error) {
	var p chain.Policy
	var err error
	if t := c.String("tiers"); t != "" {
		if p.Tiers, err = wallet.ParseTiers([]string{t}, func(a string) (uint8, error) { return client.Decimals(ctx, a) }); err != nil {
			return p, err
		}
	}
	if p.Guardians, err = parseAddressList("--guardians", c.String("guardians")); err != nil {
		return p, err
	}
	p.Threshold = c.Uint64("threshold")
	if len(p.Guardians) > 0 && !c.IsSet("threshold") {
		p.Threshold = 1
	}
	if s := c.String("supervisor"); s != "" {
		if p.Supervisor, err = parseAddress("--supervisor", s); err != nil {
			return p, err
		}
	}
	p.NewPayeeNeedsGuardian = c.Bool("new-payee-guardian")
	return p, nil
}

func policySet(c *cli.Context) error {
	account, err := parseAddress("--account", c.String("account"))
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		p, err := policyOf(ctx, c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.SetPolicy(ctx, s.key, account, p)
	})
}

// showByAddress is the body of the commands that print one record named
// by an ADDRESS argument.
func showByAddress[T any](c *cli.Context, get func(*wallet.Client, context.Context, common.Address) (*T, error), print func(*cli.Context, *T)) error {
	return showRecord(c, argAddress, get, print)
}

func policyShow(c *cli.Context) error { return showByAddress(c, (*wallet.Client).Policy, printPolicy) }

func printPolicy(c *cli.Context, p *rpc.Policy) {
	printf(c, "account      %s\n", p.Account.Hex())
	if !p.Bound {
		printf(c, "policy       none\n")
	}
	for _, t := range p.Tiers {
		printf(c, "tier         %s small <= %s, normal <= %s, large above\n", t.Asset, t.Small, t.Normal)
	}
	if p.VerificationKey != nil {
		printf(c, "verify key   %s\n", p.VerificationKey.Hex())
	} else {
		printf(c, "verify key   none (no normal or large payments under tiers)\n")
	}
	if len(p.Guardians) > 0 {
		printf(c, "guardians    %d of %s\n", p.Threshold, joinAddresses(p.Guardians))
	}
	if p.Supervisor != nil {
		printf(c, "supervisor   %s\n", p.Supervisor.Hex())
	}
	if p.NewPayeeNeedsGuardian {
		printf(c, "new payees   need the guardians\n")
	}
}

func joinAddresses(as []common.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Hex()
	}
	return strings.Join(s, ",")
}

func listApprovals(c *cli.Context) error {
	var q rpc.ApprovalList
	for _, f := range []struct {
		name string
		dst  **common.Address
	}{{"supervisor", &q.Supervisor}, {"payer", &q.Payer}} {
		if s := c.String(f.name); s != "" {
			a, err := parseAddress("--"+f.name, s)
			if err != nil {
				return err
			}
			*f.dst = &a
		}
	}
	if (q.Supervisor == nil) == (q.Payer == nil) {
		return errors.New("give exactly one of --supervisor and --payer")
	}
	q.Status, q.Limit = c.String("status"), c.Int("limit")
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	list, err := client.PendingApprovals(ctx, q)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, list)
	}
	for _, a := range list {
		payee := "(no payee)"
		if a.Payee != nil {
			payee = a.Payee.Hex()
		}
		printf(c, "%s %s %s %s %s -> %s until %s\n", a.ID.Hex(), a.Status, a.Type, a.Amount+" "+a.Asset, a.Payer.Hex(), payee, a.DeadlineTime)
	}
	return nil
}

// namedPeriods are the periods a limit may name (block time).
var namedPeriods = map[string]time.Duration{
	"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour,
}

// subTermsOf reads a sub-account's terms from the command's flags.
func subTermsOf(ctx context.Context, c *cli.Context, client *wallet.Client) (chain.SubTerms, error) {
	var t chain.SubTerms
	for _, spec := range c.StringSlice("limit") {
		asset, rest, ok := strings.Cut(spec, ":")
		amount, period, ok2 := strings.Cut(rest, "/")
		if !ok || !ok2 || asset == "" {
			return t, fmt.Errorf("--limit %q: want ASSET:AMOUNT/PERIOD, e.g. CNY:200/day", spec)
		}
		d, err := client.Decimals(ctx, asset)
		if err != nil {
			return t, err
		}
		v, err := chain.ParseAmount(amount, d)
		if err != nil {
			return t, fmt.Errorf("--limit %q: %w", spec, err)
		}
		p, ok := namedPeriods[period]
		if !ok {
			if p, err = time.ParseDuration(period); err != nil || p < time.Millisecond {
				return t, fmt.Errorf("--limit %q: period %q: want hour, day, week, month or a duration such as 12h", spec, period)
			}
		}
		t.Limits = append(t.Limits, chain.SubLimit{Asset: asset, Amount: v, Period: uint64(p.Milliseconds())})
	}
	if len(t.Limits) == 0 {
		return t, errors.New("--limit is required: a sub-account spends no asset it has no limit for")
	}
	slices.SortFunc(t.Limits, func(a, b chain.SubLimit) int { return strings.Compare(a.Asset, b.Asset) }) // as the chain wants
	for i := 1; i < len(t.Limits); i++ {
		if t.Limits[i].Asset == t.Limits[i-1].Asset {
			return t, fmt.Errorf("--limit: two limits for %s", t.Limits[i].Asset)
		}
	}
	var err error
	if t.Merchants, err = parseAddressList("--merchants", c.String("merchants")); err != nil {
		return t, err
	}
	t.Draw = c.Bool("draw")
	return t, nil
}

// subAccountAction is the body of the commands that manage the --sub
// sub-account.
func subAccountAction(send func(ctx context.Context, c *cli.Context, s *sender, sub common.Address) (*chain.Tx, error)) cli.ActionFunc {
	return func(c *cli.Context) error {
		sub, err := parseAddress("--sub", c.String("sub"))
		if err != nil {
			return err
		}
		return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) { return send(ctx, c, s, sub) })
	}
}

var (
	subAccountCreate = subAccountAction(func(ctx context.Context, c *cli.Context, s *sender, sub common.Address) (*chain.Tx, error) {
		mainFlag := c.String("main")
		if mainFlag == "" {
			mainFlag = c.String("from")
		}
		main, err := parseAddress("--main", mainFlag)
		if err != nil {
			return nil, err
		}
		t, err := subTermsOf(ctx, c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.CreateSubAccount(ctx, s.key, main, sub, t)
	})
	subAccountLimit = subAccountAction(func(ctx context.Context, c *cli.Context, s *sender, sub common.Address) (*chain.Tx, error) {
		t, err := subTermsOf(ctx, c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.SetSubAccount(ctx, s.key, sub, t)
	})
	subAccountFreeze = subAccountAction(func(ctx context.Context, c *cli.Context, s *sender, sub common.Address) (*chain.Tx, error) {
		return s.client.FreezeSubAccount(ctx, s.key, sub, !c.Bool("thaw"))
	})
	subAccountClose = subAccountAction(func(ctx context.Context, c *cli.Context, s *sender, sub common.Address) (*chain.Tx, error) {
		return s.client.CloseSubAccount(ctx, s.key, sub)
	})
)

func subAccountShow(c *cli.Context) error {
	return showByAddress(c, (*wallet.Client).SubAccount, printSubAccount)
}

func printSubAccount(c *cli.Context, sa *rpc.SubAccount) {
	printf(c, "sub-account  %s\nmain         %s\nstatus       %s\nfunding      %s\n", sa.Address.Hex(), sa.Main.Hex(), sa.Status, sa.Funding)
	for _, l := range sa.Limits {
		printf(c, "limit        %s %s per %s: spent %s, remaining %s, resets %s\n", l.Limit, l.Asset, periodName(l.PeriodMs), l.Spent, l.Remaining, l.ResetTime)
	}
	if len(sa.Merchants) > 0 {
		printf(c, "merchants    %s\n", joinAddresses(sa.Merchants))
	}
}

func periodName(ms uint64) string {
	for name, d := range namedPeriods {
		if uint64(d.Milliseconds()) == ms {
			return name
		}
	}
	return strconv.FormatUint(ms, 10) + " ms"
}
