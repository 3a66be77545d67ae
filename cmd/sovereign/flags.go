package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/sovereign-ledger/sovereign"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/rpc"
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

// RPC edge flags of `sovereign node` (docs/RPC.md, "Limits" and "Access control").
var (
	rpcAuthFlag = &cli.StringFlag{
		Name: "rpc.auth", Value: "auto", EnvVars: []string{"SOV_RPC_AUTH"},
		Usage: "RPC access control: on, off, or auto (on unless --rpc.addr is a loopback address)",
	}
	rpcSecretFileFlag = &cli.StringFlag{
		Name: "rpc.auth.secret-file", EnvVars: []string{"SOV_RPC_AUTH_SECRET_FILE"},
		Usage: "hex file of the HS256 secret that signs RPC tokens (default DATADIR/rpc-jwt.hex, created when missing)",
	}
	rpcOriginsFlag = &cli.StringSliceFlag{
		Name: "rpc.origins", EnvVars: []string{"SOV_RPC_ORIGINS"},
		Usage: "browser origins allowed to open a WebSocket besides the node's own (\"*\" for all); clients without Origin are always allowed",
	}
	rpcMaxSubsFlag = &cli.IntFlag{
		Name: "rpc.max-subscriptions", Value: rpc.DefaultMaxSubscriptions, EnvVars: []string{"SOV_RPC_MAX_SUBSCRIPTIONS"},
		Usage: "subscriptions per WebSocket connection",
	}
	rpcMaxConnsFlag = &cli.IntFlag{
		Name: "rpc.max-conns", Value: rpc.DefaultMaxConns, EnvVars: []string{"SOV_RPC_MAX_CONNS"},
		Usage: "open RPC connections in total (capped at half the open-file limit)",
	}
	rpcMaxConnsPerIPFlag = &cli.IntFlag{
		Name: "rpc.max-conns-per-ip", Value: rpc.DefaultMaxConnsPerIP, EnvVars: []string{"SOV_RPC_MAX_CONNS_PER_IP"},
		Usage: "open RPC connections from one client address",
	}
	rpcRateFlag = &cli.Float64Flag{
		Name: "rpc.rate", Value: rpc.DefaultRequestRate, EnvVars: []string{"SOV_RPC_RATE"},
		Usage: "calls per second per client address (negative: no limit)",
	}
	rpcBurstFlag = &cli.IntFlag{
		Name: "rpc.burst", Value: rpc.DefaultRequestBurst, EnvVars: []string{"SOV_RPC_BURST"},
		Usage: "calls a client address may make at once",
	}
	metricsAddrFlag = &cli.StringFlag{
		Name: "metrics.addr", EnvVars: []string{"SOV_METRICS_ADDR"},
		Usage: "serve /metrics on its own host:port (recommended: keep it off the RPC address); empty: beside RPC",
	}
)

// rpcEdgeFlags are the node's RPC limit, access and metrics flags.
var rpcEdgeFlags = []cli.Flag{rpcAuthFlag, rpcSecretFileFlag, rpcOriginsFlag, rpcMaxSubsFlag, rpcMaxConnsFlag,
	rpcMaxConnsPerIPFlag, rpcRateFlag, rpcBurstFlag, metricsAddrFlag}

// rpcEdgeConfig fills the node config's RPC limits, access mode and metrics
// address from the flags.
func rpcEdgeConfig(c *cli.Context, cfg *node.Config) error {
	switch mode := c.String(rpcAuthFlag.Name); mode {
	case "auto", "":
		cfg.RPCAuth = node.RPCAuthAuto
	case node.RPCAuthOn, node.RPCAuthOff:
		cfg.RPCAuth = mode
	default:
		return fmt.Errorf("--%s %q: want on, off or auto", rpcAuthFlag.Name, mode)
	}
	cfg.RPCSecretFile = c.String(rpcSecretFileFlag.Name)
	cfg.MetricsAddr = c.String(metricsAddrFlag.Name)
	cfg.RPCLimits = rpc.Config{
		AllowedOrigins:   c.StringSlice(rpcOriginsFlag.Name),
		MaxSubscriptions: c.Int(rpcMaxSubsFlag.Name), MaxConns: c.Int(rpcMaxConnsFlag.Name),
		MaxConnsPerIP: c.Int(rpcMaxConnsPerIPFlag.Name), RequestRate: c.Float64(rpcRateFlag.Name),
		RequestBurst: c.Int(rpcBurstFlag.Name),
	}
	return nil
}
