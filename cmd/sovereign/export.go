package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sovereign-ledger/sovereign/audit"
	"github.com/urfave/cli/v2"
)

var exportCommand = &cli.Command{
	Name:  "export",
	Usage: "write a chain (genesis, blocks, last certificate) to a portable chain file (docs/adr/0035-chain-file.md)",
	Flags: []cli.Flag{sourceDataDirFlag, sourceRPCFlag, sourceTokenFlag, pinGenesisFlag,
		&cli.StringFlag{Name: "out", Required: true, Usage: "the chain file to write (.sovx)"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
	},
	Action: runExport,
}

func runExport(c *cli.Context) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.String("file") != "" {
		return fmt.Errorf("export reads --datadir or --rpc")
	}
	src, err := openSource(ctx, c)
	if err != nil {
		return err
	}
	defer src.Close()
	g, err := pinnedGenesis(c)
	if err != nil {
		return err
	}
	if g == nil && src.Genesis() == nil {
		if g, err = loadGenesis(c); err != nil {
			return err
		}
	}
	if g != nil {
		if err := checkStoredGenesis(src, g); err != nil {
			return err
		}
	}
	out := c.String("out")
	start := time.Now()
	bar := newProgressBar(c.Bool("quiet"))
	var blocks uint64
	err = writeAtomically(out, func(f *os.File) (err error) {
		blocks, err = audit.Export(ctx, src, g, f, bar.update)
		return err
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("export after %d blocks: %w", blocks, err)
	}
	fmt.Printf("exported %d blocks to %s in %.1f s\n", blocks, out, time.Since(start).Seconds())
	return nil
}
