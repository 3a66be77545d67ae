package main

import (
	"encoding/json"
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/urfave/cli/v2"
)

var genesisCommand = &cli.Command{
	Name:  "genesis",
	Usage: "genesis tools",
	Subcommands: []*cli.Command{
		{
			Name:  "dev",
			Usage: "print the development genesis (the repository's genesis.json) derived from the published INSECURE seed",
			Flags: []cli.Flag{&cli.IntFlag{Name: "validators", Value: 4, Usage: "number of development validators"}},
			Action: func(c *cli.Context) error {
				raw, err := json.MarshalIndent(chain.DevGenesis(c.Int("validators")), "", "  ")
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
