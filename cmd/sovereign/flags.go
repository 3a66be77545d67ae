package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/sovereign-ledger/sovereign"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/urfave/cli/v2"
)

var (
	logLevelFlag = &cli.StringFlag{
		Name: "log.level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"SOV_LOG_LEVEL"},
	}
	genesisFlag = &cli.StringFlag{
		Name: "genesis", Usage: "genesis file (default: the repository's devnet genesis.json, built in)", EnvVars: []string{"SOV_GENESIS"},
	}
	rpcAddrFlag = &cli.StringFlag{
		Name: "rpc.addr", Value: "127.0.0.1:8545", Usage: "JSON-RPC HTTP and WebSocket listen address (host:port)", EnvVars: []string{"SOV_RPC_ADDR"},
	}
)

// newLogger builds the structured logger for the --log.level flag.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(logLevelFlag.Name))); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})), nil
}

// loadGenesis reads --genesis, or the built-in devnet genesis.
func loadGenesis(c *cli.Context) (*chain.Genesis, error) {
	if path := c.String(genesisFlag.Name); path != "" {
		return chain.LoadGenesis(path)
	}
	g, err := chain.ParseGenesis(sovereign.DevnetGenesis)
	if err != nil {
		return nil, fmt.Errorf("built-in genesis.json: %w", err)
	}
	return g, nil
}
