package walletcmd

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// Co-signing (docs/POLICIES.md, "Co-signing from the command line"): every
// transaction command takes --cosign ADDR (repeatable) and signs with
// those keys after the sender's, through the one submit path (submit,
// newSender). Co-signers on other machines use --out, then sovereign tx
// sign on each machine, then sovereign tx send.

func cosignFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "cosign", Category: catKeys, EnvVars: []string{"SOV_COSIGN"},
			Usage: "co-sign with this key too (repeatable): the account's verification key, a guardian or its supervisor"},
		&cli.StringFlag{Name: "cosign-keystore", Category: catKeys, EnvVars: []string{"SOV_COSIGN_KEYSTORE"},
			Usage: "keystore holding the --cosign keys (default: --keystore)"},
		&cli.StringFlag{Name: "cosign-password-file", Category: catKeys, EnvVars: []string{"SOV_COSIGN_PASSWORD_FILE"},
			Usage: "password file of the --cosign keys (default: --password-file)"},
		outFlag(),
	}
}

func outFlag() cli.Flag {
	return &cli.StringFlag{Name: "out", Category: catOut, EnvVars: []string{"SOV_OUT"},
		Usage: "write the signed transaction to this file instead of sending it (for co-signers elsewhere: sovereign tx sign, then tx send)"}
}

// unlockCosigners decrypts the --cosign keys from --cosign-keystore
// (default --keystore) with --cosign-password-file (default
// --password-file).
func unlockCosigners(c *cli.Context) ([]*ecdsa.PrivateKey, error) {
	addrs := c.StringSlice("cosign")
	if len(addrs) == 0 {
		return nil, nil
	}
	dir := c.String("cosign-keystore")
	if dir == "" {
		var err error
		if dir, err = keystoreDir(c); err != nil {
			return nil, fmt.Errorf("--cosign: %w", err)
		}
	}
	pwFile := c.String("cosign-password-file")
	if pwFile == "" {
		pwFile = c.String("password-file")
	}
	pw, err := readPasswordFile(pwFile)
	if err != nil {
		return nil, fmt.Errorf("--cosign: %w", err)
	}
	keys := make([]*ecdsa.PrivateKey, 0, len(addrs))
	for _, s := range addrs {
		a, err := parseAddress("--cosign", s)
		if err != nil {
			return nil, err
		}
		k, err := wallet.Unlock(dir, a, pw)
		if err != nil {
			return nil, fmt.Errorf("--cosign %s: %w", a.Hex(), err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// writeTxFile writes a signed transaction for later co-signers and prints
// what it is.
func writeTxFile(c *cli.Context, path string, tx *chain.Tx) error {
	if err := wallet.WriteTxFile(path, tx); err != nil {
		return err
	}
	return printTxFile(c, path, tx)
}

// txFileResult is tx sign --json and a transaction command's --out --json.
type txFileResult struct {
	File    string          `json:"file"`
	Hash    string          `json:"hash"` // changes with every signature added
	Type    string          `json:"type"`
	ChainID string          `json:"chain_id"`
	Nonce   uint64          `json:"nonce"`
	Signers []string        `json:"signers"` // the sender first
	Body    json.RawMessage `json:"body"`
}

// printTxFile shows what a transaction file holds, so a co-signer sees
// what it signs.
func printTxFile(c *cli.Context, path string, tx *chain.Tx) error {
	signers, err := tx.Signers()
	if err != nil {
		return err
	}
	body, err := json.Marshal(tx.Body())
	if err != nil {
		return err
	}
	r := txFileResult{File: path, Hash: tx.Hash().Hex(), Type: tx.Type().String(), ChainID: tx.ChainID(), Nonce: tx.Nonce(), Body: body}
	for _, s := range signers {
		r.Signers = append(r.Signers, s.Hex())
	}
	if c.Bool("json") {
		return printJSON(c, r)
	}
	printf(c, "file     %s\ntype     %s\nchain    %s\nnonce    %d\nbody     %s\n", path, r.Type, r.ChainID, r.Nonce, body)
	for i, s := range r.Signers {
		role := "co-signer"
		if i == 0 {
			role = "sender"
		}
		printf(c, "signed   %s (%s)\n", s, role)
	}
	return nil
}

func txSignCommand() *cli.Command {
	return &cli.Command{
		Name:  "sign",
		Usage: "add the --from key's co-signature to the transaction in --file (written by a transaction command's --out), in place",
		Flags: []cli.Flag{keystoreFlag(), passwordFileFlag(), fromFlag(), jsonFlag(),
			&cli.StringFlag{Name: "file", Category: catTx, EnvVars: []string{"SOV_TX_FILE"}, Usage: "transaction file (hex, one line)"}},
		Action: txSign,
	}
}

func txSign(c *cli.Context) error {
	path := c.String("file")
	if path == "" {
		return errors.New("--file is required: the transaction file to co-sign")
	}
	tx, err := wallet.ReadTxFile(path)
	if err != nil {
		return err
	}
	_, key, err := unlock(c)
	if err != nil {
		return err
	}
	if err := wallet.CosignTx(tx, key); err != nil {
		return fmt.Errorf("co-sign %s: %w", path, err)
	}
	return writeTxFile(c, path, tx)
}
