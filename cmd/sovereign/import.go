package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sovereign-ledger/sovereign/audit"
	"github.com/urfave/cli/v2"
)

var importCommand = &cli.Command{
	Name:  "import",
	Usage: "load a chain file into a fresh data dir, verifying every block as the auditor does",
	Description: "The data dir must not hold a chain yet. Every block is verified (certificate, key\n" +
		"holder, signatures, re-execution, invariants) and committed with its certificate;\n" +
		"the first failure stops the import (exit status 1) and the dir keeps the blocks before it.\n" +
		"A node started on the dir (--datadir, same --genesis) carries on from there.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "file", Required: true, Usage: "the chain file to load"},
		&cli.StringFlag{Name: "datadir", Required: true, Usage: "the fresh data directory to create"},
		pinGenesisFlag,
		&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
	},
	Action: runImport,
}

func runImport(c *cli.Context) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pinned, err := pinnedGenesis(c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	src, err := audit.OpenFile(c.String("file"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	defer src.Close()
	store, err := openFreshStore(c.String("datadir"), "import")
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	defer store.Close()
	replayGC()
	bar := newProgressBar(c.Bool("quiet"))
	rep, err := audit.Import(ctx, src, store, audit.Config{Genesis: pinned, Progress: bar.update})
	bar.done()
	if err != nil {
		return cli.Exit(fmt.Sprintf("import could not run: %v", err), 2)
	}
	if !rep.Passed {
		rep.WriteSummary(os.Stdout)
		return cli.Exit(fmt.Sprintf("import stopped: the data dir holds the chain to height %d", rep.Chain.Height), 1)
	}
	fmt.Printf("imported %d blocks (%d transactions) into %s, verified to height %d, in %.1f s (%.0f tx/s)\n",
		rep.Chain.Blocks, rep.Chain.Txs, c.String("datadir"), rep.Chain.Height, rep.Seconds, rep.TxPerSec)
	return nil
}
