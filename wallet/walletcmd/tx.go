package walletcmd

import (
	"errors"
	"strings"

	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// NewTxCommand builds "sovereign tx": follow a transaction by hash.
func NewTxCommand() *cli.Command {
	return &cli.Command{
		Name:  "tx",
		Usage: "follow transactions by hash; co-sign and send transaction files",
		Subcommands: []*cli.Command{
			{
				Name:      "status",
				Usage:     "print a transaction's status (pending, included, final, rejected), code and receipt",
				ArgsUsage: "HASH",
				Flags:     []cli.Flag{rpcFlag(), rpcTokenFlag(), waitFlag(), timeoutFlag(), jsonFlag()},
				Action:    txStatus,
			},
			{
				Name:      "send",
				Usage:     "submit a signed raw transaction (hex, or --file as tx sign leaves it) and print its hash",
				ArgsUsage: "[RAWHEX]",
				Flags: []cli.Flag{rpcFlag(), rpcTokenFlag(), waitFlag(), timeoutFlag(), jsonFlag(),
					&cli.StringFlag{Name: "file", Category: catTx, EnvVars: []string{"SOV_TX_FILE"}, Usage: "transaction file (hex, one line) instead of RAWHEX"}},
				Action: txSend,
			},
			txSignCommand(),
		},
	}
}

func txStatus(c *cli.Context) error {
	hash, err := argHash(c)
	if err != nil {
		return err
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	var tx *rpc.Transaction
	if c.Bool("wait") {
		tx, err = client.WaitFinal(ctx, hash)
		if tx == nil {
			return err
		}
	} else {
		if tx, err = client.Transaction(ctx, hash); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		if perr := printJSON(c, tx); perr != nil {
			return perr
		}
	} else {
		printTx(c, tx)
	}
	return rejected(err)
}

func printTx(c *cli.Context, tx *rpc.Transaction) {
	printf(c, "hash     %s\nstatus   %s\n", tx.Hash.Hex(), tx.Status)
	if tx.Code != "" {
		printf(c, "code     %s\n", tx.Code)
	}
	if tx.Height != nil {
		printf(c, "block    %d (index %d)\n", *tx.Height, *tx.Index)
	}
	if tx.Type != "" {
		printf(c, "type     %s\n", tx.Type)
	}
	if tx.Sender != nil {
		printf(c, "sender   %s\n", tx.Sender.Hex())
	}
	if tx.Nonce != nil {
		printf(c, "nonce    %d\n", *tx.Nonce)
	}
	if b := tx.Body; b != nil {
		if b.To != nil {
			printf(c, "to       %s\n", b.To.Hex())
		}
		if b.Account != nil {
			printf(c, "account  %s\n", b.Account.Hex())
		}
		if b.Asset != "" {
			printf(c, "amount   %s %s\n", b.Amount, b.Asset)
		}
	}
}

func txSend(c *cli.Context) error {
	var raw []byte
	switch file := c.String("file"); {
	case file != "" && c.NArg() == 0:
		tx, err := wallet.ReadTxFile(file)
		if err != nil {
			return err
		}
		raw = tx.Bytes()
	case file == "" && c.NArg() == 1:
		var err error
		if raw, err = decodeHex(strings.TrimSpace(c.Args().First())); err != nil {
			return errors.New("RAWHEX is not hex")
		}
	default:
		return errors.New("want exactly one RAWHEX argument or --file")
	}
	ctx, client, done, err := connect(c)
	if err != nil {
		return err
	}
	defer done()
	hash, err := client.SendRawTransaction(ctx, raw)
	if err != nil {
		return rejected(err)
	}
	if !c.Bool("wait") {
		if c.Bool("json") {
			return printJSON(c, txResult{Hash: hash, Status: "pending"})
		}
		printf(c, "%s\n", hash.Hex())
		return nil
	}
	if !c.Bool("json") {
		printf(c, "%s\n", hash.Hex())
	}
	got, err := client.WaitFinal(ctx, hash)
	return reportWaited(c, hash, got, err)
}
