package walletcmd

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// Escrow, withdrawal and feedback commands (docs/ESCROW.md walks through
// them on the devnet).

func escrowFlag() cli.Flag {
	return &cli.StringFlag{Name: "escrow", Category: catTx, EnvVars: []string{"SOV_ESCROW"}, Usage: "escrow id (the hold transaction's hash)"}
}

func withdrawalKeyFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "withdrawal-key", Category: catKeys, EnvVars: []string{"SOV_WITHDRAWAL_KEY"}, Usage: usage}
}

func withdrawalPasswordFlag() cli.Flag {
	return &cli.StringFlag{Name: "withdrawal-password-file", Category: catKeys, EnvVars: []string{"SOV_WITHDRAWAL_PASSWORD_FILE"},
		Usage: "password file of the withdrawal key (default: --password-file)"}
}

// signerFlags are the flags of every command that signs and submits one
// transaction: the sender's, its co-signers' (cosignFlags) and the output.
func signerFlags(extra ...cli.Flag) []cli.Flag {
	return append(append(baseSignerFlags(), cosignFlags()...), extra...)
}

// baseSignerFlags are the sender's flags alone (commands that sign many
// transactions of types no one co-signs: camt.054 import).
func baseSignerFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{rpcFlag(), rpcTokenFlag(), keystoreFlag(), passwordFileFlag(), fromFlag(), waitFlag(), timeoutFlag(), jsonFlag()}, extra...)
}

// escrowCommands are the wallet's escrow and withdrawal subcommands.
func escrowCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:  "hold",
			Usage: "open an escrow: freeze --amount of --asset for --to until --expires (prints the escrow id with --json)",
			Flags: signerFlags(toFlag(), assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag(),
				&cli.DurationFlag{Name: "expires", Value: 72 * time.Hour, Category: catTx, Usage: "block time after which the chain voids the hold"},
				&cli.StringFlag{Name: "arbiter", Category: catTx, Usage: "optional third party who may release or refund"}),
			Action: walletHold,
		},
		{
			Name:   "release",
			Usage:  "release an escrow to its payee (payer or arbiter); --amount releases part, the rest returns to the payer",
			Flags:  signerFlags(escrowFlag(), amountFlag()),
			Action: walletRelease,
		},
		{
			Name:   "refund",
			Usage:  "refund an escrow to its payer (payee or arbiter)",
			Flags:  signerFlags(escrowFlag()),
			Action: walletRefund,
		},
		{
			Name:  "withdraw",
			Usage: "burn --amount for a payout by your bank into the --payout bank account (encrypted to the bank's key)",
			Flags: signerFlags(assetFlag("asset symbol (default: the first asset in genesis)"), amountFlag(),
				&cli.StringFlag{Name: "payout", Category: catTx, Usage: "bank account to pay into, e.g. \"CN12 3456 7890 Alice\""},
				withdrawalKeyFlag("address of the account's withdrawal key (in --keystore); required when one is registered"),
				withdrawalPasswordFlag()),
			Action: walletWithdraw,
		},
		{
			Name:  "set-withdrawal-key",
			Usage: "register --key as the withdrawal key that must co-sign every withdrawal",
			Flags: signerFlags(&cli.StringFlag{Name: "key", Category: catTx, Usage: "address of the new withdrawal key"},
				withdrawalKeyFlag("address of the withdrawal key registered now (in --keystore), if any"), withdrawalPasswordFlag()),
			Action: walletSetWithdrawalKey,
		},
		{
			Name:      "escrow",
			Usage:     "print an escrow: status, amounts and where the bank's feedback stands",
			ArgsUsage: "ID",
			Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), jsonFlag(), timeoutFlag()},
			Action:    walletEscrow,
		},
	}
}

func parseHash(what, s string) (common.Hash, error) {
	b, err := decodeHex(strings.TrimSpace(s))
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("bad %s %q: want 0x followed by 64 hex digits", what, s)
	}
	return common.BytesToHash(b), nil
}

// sender unlocks --from and dials --rpc.
type sender struct {
	key    *ecdsa.PrivateKey
	client *wallet.Client
}

// newSender unlocks --from and every --cosign key, and dials --rpc with a
// client that adds the co-signatures to whatever it submits, or with
// --out only signs.
func newSender(c *cli.Context) (*sender, error) {
	_, key, err := unlock(c)
	if err != nil {
		return nil, err
	}
	cosigners, err := unlockCosigners(c)
	if err != nil {
		return nil, err
	}
	client, err := dial(c)
	if err != nil {
		return nil, err
	}
	client.SetCosigners(cosigners...)
	client.SetSignOnly(c.String("out") != "")
	return &sender{key: key, client: client}, nil
}

// submitOn is a transaction command about one record named by --flag (an
// escrow, a proposal, a payment awaiting approval): the id, then submit.
func submitOn(flag string, send func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error)) cli.ActionFunc {
	return func(c *cli.Context) error {
		id, err := parseHash("--"+flag, c.String(flag))
		if err != nil {
			return err
		}
		return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) { return send(ctx, c, s, id) })
	}
}

// submit is the shared tail of every transaction command: unlock --from
// and the --cosign keys, dial --rpc, build and sign the transaction, then
// send it and report it (and --wait), or with --out write it to a file
// for more co-signers (sovereign tx sign) and a later sovereign tx send.
func submit(c *cli.Context, send func(ctx context.Context, s *sender) (*chain.Tx, error), extra ...func(*txResult)) error {
	s, err := newSender(c)
	if err != nil {
		return err
	}
	defer s.client.Close()
	ctx, cancel := withTimeout(c)
	defer cancel()
	tx, err := send(ctx, s)
	if out := c.String("out"); out != "" && err == nil {
		return writeTxFile(c, out, tx)
	}
	return reportSubmitted(c, s.client, tx, err, extra...)
}

func assetOr(c *cli.Context, client *wallet.Client) (string, error) {
	if a := c.String("asset"); a != "" {
		return a, nil
	}
	ctx, cancel := withTimeout(c)
	defer cancel()
	return client.DefaultAsset(ctx)
}

func walletHold(c *cli.Context) error {
	to, err := parseAddress("--to", c.String("to"))
	if err != nil {
		return err
	}
	if c.String("amount") == "" {
		return errors.New("--amount is required, e.g. --amount 12.34")
	}
	var arbiter common.Address
	if a := c.String("arbiter"); a != "" {
		if arbiter, err = parseAddress("--arbiter", a); err != nil {
			return err
		}
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.Hold(ctx, s.key, to, asset, c.String("amount"), c.Duration("expires"), arbiter)
	}, func(r *txResult) { id := r.Hash; r.Escrow = &id })
}

var walletRelease = submitOn("escrow", func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
	return s.client.Release(ctx, s.key, id, c.String("amount"))
})

var walletRefund = submitOn("escrow", func(ctx context.Context, c *cli.Context, s *sender, id common.Hash) (*chain.Tx, error) {
	return s.client.Refund(ctx, s.key, id)
})

// unlockWithdrawalKey decrypts --withdrawal-key, if given.
func unlockWithdrawalKey(c *cli.Context) (*ecdsa.PrivateKey, error) {
	if c.String("withdrawal-key") == "" {
		return nil, nil
	}
	a, err := parseAddress("--withdrawal-key", c.String("withdrawal-key"))
	if err != nil {
		return nil, err
	}
	dir, err := keystoreDir(c)
	if err != nil {
		return nil, err
	}
	pwFile := c.String("withdrawal-password-file")
	if pwFile == "" {
		pwFile = c.String("password-file")
	}
	pw, err := readPasswordFile(pwFile)
	if err != nil {
		return nil, err
	}
	return wallet.Unlock(dir, a, pw)
}

func walletWithdraw(c *cli.Context) error {
	if c.String("amount") == "" {
		return errors.New("--amount is required, e.g. --amount 12.34")
	}
	if c.String("payout") == "" {
		return errors.New("--payout is required: the bank account to pay into")
	}
	wkey, err := unlockWithdrawalKey(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		asset, err := assetOr(c, s.client)
		if err != nil {
			return nil, err
		}
		return s.client.Withdraw(ctx, s.key, asset, c.String("amount"), []byte(c.String("payout")), wkey)
	}, func(r *txResult) { id := r.Hash; r.Payout = &id })
}

func walletSetWithdrawalKey(c *cli.Context) error {
	key, err := parseAddress("--key", c.String("key"))
	if err != nil {
		return err
	}
	current, err := unlockWithdrawalKey(c)
	if err != nil {
		return err
	}
	return submit(c, func(ctx context.Context, s *sender) (*chain.Tx, error) {
		return s.client.SetWithdrawalKey(ctx, s.key, key, current)
	})
}

func walletEscrow(c *cli.Context) error {
	return showByID(c, "escrow", (*wallet.Client).Escrow, printEscrow)
}

// showByID is the body of the commands that print one record named by an
// ID argument: as JSON with --json, else with print.
func showByID[T any](c *cli.Context, what string, get func(*wallet.Client, context.Context, common.Hash) (*T, error), print func(*cli.Context, *T)) error {
	return showRecord(c, func(c *cli.Context) (common.Hash, error) {
		if c.NArg() != 1 {
			return common.Hash{}, fmt.Errorf("want exactly one %s ID argument, got %d", what, c.NArg())
		}
		return parseHash(what+" id", c.Args().First())
	}, get, print)
}

// showRecord reads the command's argument (arg), fetches the record it
// names and prints it: as JSON with --json, else with print.
func showRecord[K, T any](c *cli.Context, arg func(*cli.Context) (K, error), get func(*wallet.Client, context.Context, K) (*T, error), print func(*cli.Context, *T)) error {
	key, err := arg(c)
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	v, err := get(client, ctx, key)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, v)
	}
	print(c, v)
	return nil
}

func printEscrow(c *cli.Context, e *rpc.Escrow) {
	printf(c, "escrow       %s\nstatus       %s\nbank status  %s\n", e.ID.Hex(), e.Status, e.BankStatus)
	printf(c, "payer        %s\npayee        %s\n", e.Payer.Hex(), e.Payee.Hex())
	if e.Arbiter != nil {
		printf(c, "arbiter      %s\n", e.Arbiter.Hex())
	}
	printf(c, "amount       %s %s\nexpiry       %s\n", e.Amount, e.Asset, e.ExpiryTime)
	if e.Status == "released" {
		printf(c, "released     %s (unlocks %s)\nreturned     %s\n", e.Released, msTimeString(*e.UnlockAt), e.Returned)
	}
	for _, s := range e.Steps {
		mark := "waiting"
		if s.Matched {
			mark = "matched ref " + s.Ref
		}
		printf(c, "step         %s %s %s: %s\n", s.Kind, s.Amount, e.Asset, mark)
	}
	for _, x := range e.Exceptions {
		printf(c, "exception    %s %s %s %s ref %s: %s\n", x.Kind, x.Amount, x.Asset, x.Tx.Hex(), x.Ref, x.Reason)
	}
}

func msTimeString(ms uint64) string { return time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339) }
