package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sovereign-ledger/sovereign/audit"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

// Where a chain comes from, for audit and export.
var (
	sourceFileFlag    = &cli.StringFlag{Name: "file", Usage: "a chain file written by `sovereign export`", EnvVars: []string{"SOV_AUDIT_FILE"}}
	sourceDataDirFlag = &cli.StringFlag{Name: "datadir", Usage: "a node's data directory, opened read-only (copy a running node's first)", EnvVars: []string{"SOV_AUDIT_DATADIR"}}
	sourceRPCFlag     = &cli.StringFlag{Name: "rpc", Usage: "a running node's JSON-RPC URL", EnvVars: []string{"SOV_AUDIT_RPC"}}
	sourceTokenFlag   = &cli.StringFlag{Name: "rpc.token", Usage: "bearer token for a node with RPC access control (sovereign rpc token mints one)", EnvVars: []string{"SOV_RPC_TOKEN"}}
	pinGenesisFlag    = &cli.StringFlag{Name: "genesis", Usage: "the genesis file the auditor was given: the chain must start from it (needed for --datadir unless it is the devnet's)", EnvVars: []string{"SOV_GENESIS"}}
)

var auditCommand = &cli.Command{
	Name:  "audit",
	Usage: "verify a chain from genesis, offline: blocks, certificates, signatures, re-execution, invariants (docs/AUDIT.md)",
	Description: "Reads the chain from exactly one of --file, --datadir or --rpc. Exit status 0 when\n" +
		"everything verifies, 1 when any check fails (the first failure names the height, the\n" +
		"transaction and the rule), 2 when the audit could not run.",
	Flags: []cli.Flag{sourceFileFlag, sourceDataDirFlag, sourceRPCFlag, sourceTokenFlag, pinGenesisFlag,
		&cli.StringFlag{Name: "report", Usage: "directory to write report.json and report.html into", EnvVars: []string{"SOV_AUDIT_REPORT"}},
		&cli.BoolFlag{Name: "json", Usage: "print the JSON report instead of the summary"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress bar"},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a Go CPU profile of the audit to this file (go tool pprof)"},
	},
	Action: runAudit,
}

func runAudit(c *cli.Context) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pinned, err := pinnedGenesis(c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	src, err := openSource(ctx, c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	defer src.Close()
	if pinned == nil && src.Genesis() == nil {
		if pinned, err = loadGenesis(c); err != nil {
			return cli.Exit(err.Error(), 2)
		}
	}
	stopProfile, err := startCPUProfile(c.String("cpuprofile"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	replayGC()
	bar := newProgressBar(c.Bool("quiet"))
	rep, err := audit.Run(ctx, src, audit.Config{Genesis: pinned, Progress: bar.update})
	bar.done()
	if err := stopProfile(); err != nil {
		return cli.Exit(err.Error(), 2)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("audit could not run: %v", err), 2)
	}
	if dir := c.String("report"); dir != "" {
		if err := rep.WriteDir(dir); err != nil {
			return cli.Exit(fmt.Sprintf("write report: %v", err), 2)
		}
	}
	if c.Bool("json") {
		rep.WriteJSON(os.Stdout)
	} else {
		rep.WriteSummary(os.Stdout)
		if dir := c.String("report"); dir != "" {
			fmt.Printf("report: %s/report.json, %s/report.html\n", dir, dir)
		}
	}
	if !rep.Passed {
		return cli.Exit("", 1)
	}
	return nil
}

// pinnedGenesis is the --genesis file, when given.
func pinnedGenesis(c *cli.Context) (*chain.Genesis, error) {
	if path := c.String(pinGenesisFlag.Name); path != "" {
		return chain.LoadGenesis(path)
	}
	return nil, nil
}

// openSource opens the one source the flags name.
func openSource(ctx context.Context, c *cli.Context) (audit.Source, error) {
	var named []string
	for _, f := range []string{"file", "datadir", "rpc"} {
		if c.String(f) != "" {
			named = append(named, "--"+f)
		}
	}
	if len(named) != 1 {
		return nil, fmt.Errorf("name exactly one chain source: --file, --datadir or --rpc (got %s)", strings.Join(append(named, "none")[:max(len(named), 1)], ", "))
	}
	switch {
	case c.String("file") != "":
		return audit.OpenFile(c.String("file"))
	case c.String("datadir") != "":
		return audit.OpenDataDir(c.String("datadir"))
	}
	return audit.OpenRPC(ctx, c.String("rpc"), wallet.WithToken(c.String(sourceTokenFlag.Name)))
}

// progressBar draws one line on a terminal's stderr, at most four times a
// second; off the terminal it says nothing.
type progressBar struct {
	on   bool
	last time.Time
	w    io.Writer
}

func newProgressBar(quiet bool) *progressBar {
	st, err := os.Stderr.Stat()
	return &progressBar{on: !quiet && err == nil && st.Mode()&os.ModeCharDevice != 0, w: os.Stderr}
}

func (p *progressBar) update(pr audit.Progress) {
	if !p.on || time.Since(p.last) < 250*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	bar := strings.Repeat("?", width)
	if pr.Total > 0 {
		n := int(float64(width) * float64(pr.Done) / float64(pr.Total))
		bar = strings.Repeat("=", min(n, width)) + strings.Repeat(" ", width-min(n, width))
	}
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Txs) / s
	}
	fmt.Fprintf(p.w, "\r[%s] height %d, %d tx, %.0f tx/s ", bar, pr.Height, pr.Txs, rate)
}

func (p *progressBar) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// checkStoredGenesis refuses a genesis whose block 0 is not the one a data
// dir holds.
func checkStoredGenesis(src audit.Source, g *chain.Genesis) error {
	dd, ok := src.(*audit.DataDirSource)
	if !ok {
		return nil
	}
	stored, _, err := dd.DB().GenesisHash()
	if err != nil {
		return err
	}
	l, err := ledger.OpenLedger(ledger.NewReplayStore(), g)
	if err != nil {
		return err
	}
	if l.GenesisHash() != stored {
		return errors.New("the data dir's chain does not start from this genesis: pass the node's --genesis")
	}
	return nil
}

// startCPUProfile starts a Go CPU profile into path (nothing when path is
// empty); the returned function stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}

// replayGCPercent is the Go GC target for audit and import: re-executing a
// chain allocates a few kilobytes of short-lived objects per transaction
// (decoded transactions, receipts, state changes) over a live heap of a few
// tens of megabytes (the state and the blocks in flight), so the default
// GOGC of 100 collects every few thousand transactions. At 400 the
// collector runs a quarter as often: 7 – 10 µs of CPU less per transaction
// (BenchmarkAudit with GOGC=400 against 100, docs/PERFORMANCE.md), for a
// peak heap of about five times the live one instead of twice, still
// bounded by the state, not the chain.
const replayGCPercent = 400

// replayGC sets replayGCPercent unless the user set GOGC.
func replayGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(replayGCPercent)
	}
}
