package walletcmd

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// dial connects to --rpc, with --rpc.token when given.
func dial(c *cli.Context) (*wallet.Client, error) {
	url := c.String("rpc")
	if url == "" {
		return nil, errors.New("--rpc is empty: give the node's JSON-RPC URL, e.g. " + DefaultRPC)
	}
	return wallet.DialContext(c.Context, url, wallet.WithToken(c.String("rpc.token")))
}

// connect dials --rpc under the command's --timeout; done releases both.
func connect(c *cli.Context) (context.Context, *wallet.Client, func(), error) {
	ctx, cancel := withTimeout(c)
	client, err := dial(c)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, client, func() { client.Close(); cancel() }, nil
}

// withTimeout bounds a command by --timeout when it has one.
func withTimeout(c *cli.Context) (context.Context, context.CancelFunc) {
	if d := c.Duration("timeout"); d > 0 {
		return context.WithTimeout(c.Context, d)
	}
	return context.WithCancel(c.Context)
}

// parseAddress accepts 0x-prefixed (or bare) 40-digit hex.
func parseAddress(what, s string) (common.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return common.Address{}, fmt.Errorf("%s address is missing", what)
	}
	if !common.IsHexAddress(s) {
		return common.Address{}, fmt.Errorf("bad %s address %q: want 0x followed by 40 hex digits", what, s)
	}
	return common.HexToAddress(s), nil
}

// argAddress is the command's single ADDRESS argument.
func argAddress(c *cli.Context) (common.Address, error) {
	if c.NArg() != 1 {
		return common.Address{}, fmt.Errorf("want exactly one ADDRESS argument, got %d", c.NArg())
	}
	return parseAddress("account", c.Args().First())
}

// argHash is the command's single HASH argument.
func argHash(c *cli.Context) (common.Hash, error) {
	if c.NArg() != 1 {
		return common.Hash{}, fmt.Errorf("want exactly one transaction HASH argument, got %d", c.NArg())
	}
	s := strings.TrimSpace(c.Args().First())
	b, err := decodeHex(s)
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("bad transaction hash %q: want 0x followed by 64 hex digits", s)
	}
	return common.BytesToHash(b), nil
}

func decodeHex(s string) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		s = "0x" + s
	}
	return hexutil.Decode(s)
}

// readPassword reads the first line of --password-file.
func readPassword(c *cli.Context) (string, error) {
	return readPasswordFile(c.String("password-file"))
}

// readPasswordFile reads the first line of a password file.
func readPasswordFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("--password-file is required (or set SOV_PASSWORD_FILE)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// keystoreDir is --keystore, required.
func keystoreDir(c *cli.Context) (string, error) {
	dir := c.String("keystore")
	if dir == "" {
		return "", errors.New("--keystore is required (or set SOV_KEYSTORE)")
	}
	return dir, nil
}

// unlock decrypts the key of --from.
func unlock(c *cli.Context) (common.Address, *ecdsa.PrivateKey, error) {
	from, err := parseAddress("--from", c.String("from"))
	if err != nil {
		return common.Address{}, nil, err
	}
	dir, err := keystoreDir(c)
	if err != nil {
		return common.Address{}, nil, err
	}
	pw, err := readPassword(c)
	if err != nil {
		return common.Address{}, nil, err
	}
	key, err := wallet.Unlock(dir, from, pw)
	if err != nil {
		return common.Address{}, nil, err
	}
	return from, key, nil
}

// printJSON writes v as one indented JSON object.
func printJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printf(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(c.App.Writer, format, args...)
}

// note writes progress to the error stream, keeping stdout for results.
func note(c *cli.Context, format string, args ...any) {
	w := c.App.ErrWriter
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, format, args...)
}

// rejected turns a transaction refusal into the ExitRejected status; other
// errors pass through.
func rejected(err error) error {
	var re *wallet.RPCError
	if errors.As(err, &re) && re.Rejected() {
		return cli.Exit(err.Error(), ExitRejected)
	}
	return err
}

// txResult is what every command that submits a transaction prints with --json.
type txResult struct {
	Hash    common.Hash  `json:"hash"`
	Escrow  *common.Hash `json:"escrow,omitempty"`  // hold: the new escrow's id
	Payout  *common.Hash `json:"payout,omitempty"`  // withdraw: the payout's id
	Request *common.Hash `json:"request,omitempty"` // merchant request: the new request's id; accept, decline, cancel: the request
	Status  string       `json:"status"`
	Code    string       `json:"code"`
	Height  *uint64      `json:"height"`
	Index   *int         `json:"index"`
	Error   string       `json:"error,omitempty"`
	Receipt *rpc.Receipt `json:"receipt,omitempty"`
}

func resultOf(tx *rpc.Transaction) txResult {
	return txResult{Hash: tx.Hash, Status: tx.Status, Code: tx.Code, Height: tx.Height, Index: tx.Index, Receipt: tx.Receipt}
}
