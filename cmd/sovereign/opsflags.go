package main

import (
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/txpool"
	"github.com/urfave/cli/v2"
)

// The node's pool limits and health settings (docs/OPERATIONS.md), added to
// nodeCommand here so node.go keeps one line for them (runNode reads
// opsConfig).
var (
	poolMaxTxsFlag = &cli.IntFlag{
		Name: "txpool.max-txs", Value: txpool.DefaultMaxTxs, EnvVars: []string{"SOV_TXPOOL_MAX_TXS"},
		Usage: "transactions the pool holds in total",
	}
	poolMaxPerSenderFlag = &cli.IntFlag{
		Name: "txpool.max-per-sender", Value: txpool.DefaultMaxPerSender, EnvVars: []string{"SOV_TXPOOL_MAX_PER_SENDER"},
		Usage: "transactions the pool holds per sender",
	}
	poolNonceWindowFlag = &cli.Uint64Flag{
		Name: "txpool.nonce-window", Value: txpool.DefaultNonceWindow, EnvVars: []string{"SOV_TXPOOL_NONCE_WINDOW"},
		Usage: "how far ahead of an account's nonce the pool accepts a transaction",
	}
	healthStallFlag = &cli.DurationFlag{
		Name: "health.stall-after", Value: node.DefaultStallAfter, EnvVars: []string{"SOV_HEALTH_STALL_AFTER"},
		Usage: "/readyz fails when no block has become final here for this long (at least three empty-block intervals)",
	}
	healthSyncLagFlag = &cli.Uint64Flag{
		Name: "health.max-sync-lag", Value: node.DefaultMaxSyncLag, EnvVars: []string{"SOV_HEALTH_MAX_SYNC_LAG"},
		Usage: "/readyz fails when peers decide heights more than this many ahead of this node's final height",
	}
	feedbackWindowFlag = &cli.Uint64Flag{
		Name: "metrics.feedback-window", Value: node.DefaultFeedbackWindow, EnvVars: []string{"SOV_METRICS_FEEDBACK_WINDOW"},
		Usage: "the bank-feedback metrics count records created in this many latest heights (a count scans them, at most every 30s)",
	}
)

func init() {
	nodeCommand.Flags = append(nodeCommand.Flags, poolMaxTxsFlag, poolMaxPerSenderFlag, poolNonceWindowFlag,
		healthStallFlag, healthSyncLagFlag, feedbackWindowFlag)
}

// opsConfig fills the node config's pool limits and health settings.
func opsConfig(c *cli.Context, cfg *node.Config) {
	cfg.Pool.MaxTxs = c.Int(poolMaxTxsFlag.Name)
	cfg.Pool.MaxPerSender = c.Int(poolMaxPerSenderFlag.Name)
	cfg.Pool.NonceWindow = c.Uint64(poolNonceWindowFlag.Name)
	cfg.Health = node.HealthConfig{
		StallAfter: c.Duration(healthStallFlag.Name), MaxSyncLag: c.Uint64(healthSyncLagFlag.Name),
		FeedbackWindow: c.Uint64(feedbackWindowFlag.Name),
	}
}
