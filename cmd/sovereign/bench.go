package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sovereign-ledger/sovereign/bench"
	"github.com/urfave/cli/v2"
)

var benchCommand = &cli.Command{
	Name:  "bench",
	Usage: "load-test a running development chain: signed transfers at a set rate, final tx/s and submit→final latency",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "rpc", Value: "http://127.0.0.1:8545", Usage: "node RPC URLs, comma-separated (load is spread across them)", EnvVars: []string{"SOV_RPC"}},
		&cli.IntFlag{Name: "accounts", Value: 1000, Usage: "distinct senders"},
		&cli.IntFlag{Name: "txs", Value: 20000, Usage: "transfers to submit"},
		&cli.IntFlag{Name: "rate", Value: 0, Usage: "transfers per second (0: as fast as accepted)"},
		&cli.IntFlag{Name: "batch", Value: 200, Usage: "transactions per sov_sendRawTransactions call"},
		&cli.IntFlag{Name: "workers", Value: 4, Usage: "concurrent submitters"},
		&cli.DurationFlag{Name: "timeout", Value: 0, Usage: "how long to wait for finality (default 2m)"},
		&cli.StringFlag{Name: "metrics", Usage: "the nodes' Prometheus URLs, comma-separated, read for their CPU time (default: RPC URL + /metrics)"},
		&cli.StringFlag{Name: "target", Value: "sovereign", Usage: "sovereign, or cometbft: the RPC URLs are a CometBFT kvstore testnet, loaded the same way for comparison (scripts/compare-cometbft.sh)"},
	},
	Action: func(c *cli.Context) error {
		cfg := bench.Config{
			RPC:      strings.Split(c.String("rpc"), ","),
			Accounts: c.Int("accounts"),
			Txs:      c.Int("txs"),
			Rate:     c.Int("rate"),
			Batch:    c.Int("batch"),
			Workers:  c.Int("workers"),
			Timeout:  c.Duration("timeout"),
			Log:      func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) },
		}
		if m := c.String("metrics"); m != "" {
			cfg.Metrics = strings.Split(m, ",")
		}
		run := bench.Run
		switch t := c.String("target"); t {
		case "sovereign":
		case "cometbft":
			run = bench.RunCometBFT
		default:
			return fmt.Errorf("--target %q: want sovereign or cometbft", t)
		}
		r, err := run(context.Background(), cfg)
		if err != nil {
			return err
		}
		fmt.Println(r)
		return nil
	},
}
