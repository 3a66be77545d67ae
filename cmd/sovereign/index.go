package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sovereign-ledger/sovereign/indexer"
	"github.com/urfave/cli/v2"
)

var indexCommand = &cli.Command{
	Name:  "index",
	Usage: "follow a node's final blocks into PostgreSQL (docs/INDEXER.md)",
	Description: "Migrates the database schema, then writes every final block, from where the\n" +
		"cursor stands, each in one database transaction with the cursor. Safe to kill at\n" +
		"any point and restart.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "rpc", Value: "http://127.0.0.1:8545", Usage: "the node's JSON-RPC URL", EnvVars: []string{"SOV_RPC"}},
		&cli.StringFlag{Name: "pg", Required: true, Usage: "PostgreSQL URL, postgres://user:password@host:port/database", EnvVars: []string{"SOV_PG"}},
		&cli.Uint64Flag{Name: "until", Usage: "stop once this height is written (0: follow the chain)", EnvVars: []string{"SOV_INDEX_UNTIL"}},
		&cli.IntFlag{Name: "prefetch", Value: 16, Usage: "blocks read ahead of the writer", EnvVars: []string{"SOV_INDEX_PREFETCH"}},
		&cli.BoolFlag{Name: "migrate-only", Usage: "apply the schema migrations and exit"},
	},
	Action: runIndex,
}

func runIndex(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, c.String("pg"))
	if err != nil {
		return fmt.Errorf("--pg: %w", err)
	}
	defer pool.Close()
	if c.Bool("migrate-only") {
		applied, err := indexer.Migrate(ctx, pool)
		if err == nil {
			fmt.Printf("applied migrations %v\n", applied)
		}
		return err
	}
	return indexer.Run(ctx, pool, indexer.Options{RPC: c.String("rpc"), Until: c.Uint64("until"), Prefetch: c.Int("prefetch"), Logger: log})
}
