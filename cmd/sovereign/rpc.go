package main

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/urfave/cli/v2"
)

var rpcCommand = &cli.Command{
	Name:  "rpc",
	Usage: "RPC access control",
	Subcommands: []*cli.Command{{
		Name:  "token",
		Usage: "mint a bearer token for the node's RPC (docs/RPC.md, \"Access control\")",
		Description: "Signs a token with the node's secret (--rpc.auth.secret-file of `sovereign node`, by default DATADIR/rpc-jwt.hex).\n" +
			"Callers send it as \"Authorization: Bearer TOKEN\"; wallet commands take it as --rpc.token or SOV_RPC_TOKEN.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "role", Required: true, Usage: "public, account, bank or admin"},
			&cli.StringFlag{Name: "subject", Usage: "the account's or bank's address (account and bank roles)"},
			&cli.DurationFlag{Name: "expires", Value: 720 * time.Hour, Usage: "how long the token is valid"},
			&cli.StringFlag{Name: "secret-file", Required: true, Usage: "hex file of the node's token secret", EnvVars: []string{"SOV_RPC_AUTH_SECRET_FILE"}},
		},
		Action: runRPCToken,
	}},
}

func runRPCToken(c *cli.Context) error {
	role, err := rpc.ParseRole(c.String("role"))
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	claims := rpc.Claims{Role: role, Expires: time.Now().Add(c.Duration("expires")).Truncate(time.Second)}
	if s := c.String("subject"); s != "" {
		if !common.IsHexAddress(s) {
			return fmt.Errorf("--subject %q is not an address", s)
		}
		claims.Subject = common.HexToAddress(s)
	}
	if c.Duration("expires") <= 0 {
		return fmt.Errorf("--expires must be positive")
	}
	secret, err := rpc.LoadSecret(c.String("secret-file"))
	if err != nil {
		return err
	}
	tok, err := rpc.MintToken(secret, claims)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, tok)
	return nil
}
