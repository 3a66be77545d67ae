package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consortium"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/urfave/cli/v2"
)

var genesisCommand = &cli.Command{
	Name:  "genesis",
	Usage: "genesis tools",
	Subcommands: []*cli.Command{
		{
			Name:  "new",
			Usage: "create a new consortium: fresh validator and bank keys, hash chains, genesis.json",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "chain-id", Required: true, Usage: "chain id (lowercase letters, digits, dashes)"},
				&cli.IntFlag{Name: "validators", Value: 4, Usage: "number of validators"},
				&cli.StringSliceFlag{Name: "bank", Required: true, Usage: "member bank name (repeat for each bank)"},
				&cli.StringSliceFlag{Name: "asset", Value: cli.NewStringSlice("CNY:2"), Usage: "asset as SYMBOL:DECIMALS, issued by every bank (repeatable)"},
				&cli.StringFlag{Name: "out", Required: true, Usage: "output directory (must not exist)"},
				&cli.StringFlag{Name: "password-file", Required: true, Usage: "file holding the password that encrypts every key file"},
			},
			Action: func(c *cli.Context) error {
				pw, err := readPassword(c.String("password-file"))
				if err != nil {
					return err
				}
				res, err := consortium.New(consortium.Config{
					ChainID: c.String("chain-id"), Validators: c.Int("validators"), Banks: c.StringSlice("bank"),
					Assets: c.StringSlice("asset"), Out: c.String("out"), Password: pw, Now: time.Now(),
				})
				if err != nil {
					return err
				}
				fmt.Printf("genesis: %s\n", res.GenesisPath)
				for _, f := range res.Files {
					fmt.Printf("key:     %s\n", f)
				}
				fmt.Println("give each member its own key files; keep hash-chain secrets as secret as keys")
				return nil
			},
		},
		{
			Name:  "dev",
			Usage: "print the development genesis (the repository's genesis.json) derived from the published INSECURE seed",
			Flags: []cli.Flag{&cli.IntFlag{Name: "validators", Value: 4, Usage: "number of development validators"}},
			Action: func(c *cli.Context) error {
				raw, err := json.MarshalIndent(devnet.DefaultGenesis(c.Int("validators")), "", "  ")
				if err != nil {
					return err
				}
				fmt.Println(string(raw))
				return nil
			},
		},
		{
			Name:      "check",
			Usage:     "validate a genesis file and print its hash",
			ArgsUsage: "FILE",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("usage: sovereign genesis check FILE")
				}
				g, err := chain.LoadGenesis(c.Args().First())
				if err != nil {
					return err
				}
				fmt.Printf("ok: chain %s, %d validators, genesis document hash %s\n", g.ChainID, len(g.Validators), g.Hash())
				return nil
			},
		},
	},
}
