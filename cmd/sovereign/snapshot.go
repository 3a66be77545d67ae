package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/snapshot"
	"github.com/urfave/cli/v2"
)

// State snapshots (docs/adr/0065-state-snapshots.md): export a data dir's
// head state, import one into a fresh data dir, and the node's flags to
// join from peers' snapshots.

var (
	syncModeFlag = &cli.StringFlag{
		Name: "sync", Value: "full", EnvVars: []string{"SOV_SYNC"},
		Usage: "how a node with an empty data dir joins: full (replay every block from genesis) or snapshot (the state of a recent final height from peers, then blocks after it)",
	}
	syncTrustedHeightFlag = &cli.Uint64Flag{
		Name: "sync.trusted-height", EnvVars: []string{"SOV_SYNC_TRUSTED_HEIGHT"},
		Usage: "accept only the snapshot of the block at this height (with --sync.trusted-hash); 0: any snapshot certified by the validators",
	}
	syncTrustedHashFlag = &cli.StringFlag{
		Name: "sync.trusted-hash", EnvVars: []string{"SOV_SYNC_TRUSTED_HASH"},
		Usage: "the hash of the block at --sync.trusted-height",
	}
	snapshotIntervalFlag = &cli.Uint64Flag{
		Name: "snapshot.interval", Value: node.DefaultSnapshotInterval, EnvVars: []string{"SOV_SNAPSHOT_INTERVAL"},
		Usage: "take a state snapshot for peers every this many blocks (DATADIR/snapshots); 0: serve none",
	}
)

func init() {
	nodeCommand.Flags = append(nodeCommand.Flags, syncModeFlag, syncTrustedHeightFlag, syncTrustedHashFlag, snapshotIntervalFlag)
}

// snapshotTrust is the trust --sync.trusted-height and --sync.trusted-hash give.
func snapshotTrust(c *cli.Context, g *chain.Genesis) (snapshot.Trust, error) {
	t := snapshot.Trust{Genesis: g, TrustedHeight: c.Uint64(syncTrustedHeightFlag.Name)}
	raw := c.String(syncTrustedHashFlag.Name)
	switch {
	case t.TrustedHeight == 0 && raw == "":
		return t, nil
	case t.TrustedHeight == 0 || raw == "":
		return t, fmt.Errorf("--sync.trusted-height and --sync.trusted-hash go together")
	}
	b := common.FromHex(raw)
	if len(b) != common.HashLength {
		return t, fmt.Errorf("--sync.trusted-hash %q: want 32 bytes of hex", raw)
	}
	t.TrustedHash = common.BytesToHash(b)
	return t, nil
}

// snapshotSyncConfig sets the node's snapshot settings from its flags.
func snapshotSyncConfig(c *cli.Context, cfg *node.Config) error {
	cfg.SnapshotInterval = c.Uint64(snapshotIntervalFlag.Name)
	switch mode := c.String(syncModeFlag.Name); mode {
	case "full", "":
		return nil
	case "snapshot":
		trust, err := snapshotTrust(c, cfg.Genesis)
		if err != nil {
			return err
		}
		cfg.SnapshotSync = &trust
		return nil
	default:
		return fmt.Errorf("--sync %q: want full or snapshot", mode)
	}
}

var snapshotCommand = &cli.Command{
	Name:  "snapshot",
	Usage: "export or import a state snapshot (docs/OPERATIONS.md, \"Join a new node from a snapshot\")",
	Subcommands: []*cli.Command{{
		Name:  "export",
		Usage: "write the state of a stopped node's head to a snapshot file",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "datadir", Required: true, Usage: "the data dir of a stopped node (a running node serves its snapshots to peers instead)"},
			&cli.Uint64Flag{Name: "height", Usage: "the height to export; 0: the head (a store keeps its head's state only)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "the snapshot file to write (.sovsnap)"},
		},
		Action: runSnapshotExport,
	}, {
		Name:      "import",
		Usage:     "load a snapshot file into a fresh data dir, verifying it against the genesis validators",
		ArgsUsage: "FILE",
		Description: "The snapshot's block must be certified by the validators of its height, and every\n" +
			"chunk must prove against its state root. A node started on the data dir (same\n" +
			"--genesis) follows the chain from the block after the snapshot.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "datadir", Required: true, Usage: "the fresh data dir to create"},
			genesisFlag, syncTrustedHeightFlag, syncTrustedHashFlag,
		},
		Action: runSnapshotImport,
	}},
}

func runSnapshotExport(c *cli.Context) error {
	store, err := ledger.OpenLevelDBReadOnly(node.StoreDir(c.String("datadir")))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	defer store.Close()
	out := c.String("out")
	start := time.Now()
	var (
		m     *snapshot.Manifest
		stats snapshot.ExportStats
	)
	err = writeAtomically(out, func(f *os.File) (err error) {
		m, stats, err = snapshot.Export(c.Context, ledger.NewDB(store), snapshot.ExportOptions{Height: c.Uint64("height"), TmpDir: filepath.Dir(out)}, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("snapshot export: %w", err)
	}
	fmt.Printf("exported the state at height %d (block %s): %d entries in %d chunks, %d bytes, to %s in %.1f s\n",
		stats.Height, m.Block.Hash(), stats.Entries, stats.Chunks, stats.Bytes, out, time.Since(start).Seconds())
	return nil
}

// writeAtomically writes path through write into a temporary file beside
// it, synced, then renamed over path: a failed or interrupted write leaves
// no partial file under the name.
func writeAtomically(path string, write func(f *os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// openFreshStore creates datadir and opens its chain database, refusing
// one that already holds a database (what an import needs).
func openFreshStore(datadir, what string) (ledger.Store, error) {
	dir := node.StoreDir(datadir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already holds a database: %s needs a fresh data dir", dir, what)
	}
	if err := os.MkdirAll(datadir, 0o700); err != nil {
		return nil, err
	}
	return ledger.OpenLevelDB(dir)
}

func runSnapshotImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("usage: sovereign snapshot import --datadir NEWDIR [--genesis FILE] FILE", 2)
	}
	g, err := loadGenesis(c)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	trust, err := snapshotTrust(c, g)
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	f, err := os.Open(c.Args().First())
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	defer f.Close()
	store, err := openFreshStore(c.String("datadir"), "a snapshot import")
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	start := time.Now()
	m, stats, err := snapshot.ImportFile(store, trust, f)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.RemoveAll(node.StoreDir(c.String("datadir"))) // a refused snapshot leaves nothing a node would open
		return cli.Exit(fmt.Sprintf("snapshot refused: %v", err), 1)
	}
	fmt.Printf("imported the state at height %d (block %s): %d entries in %d chunks into %s in %.1f s\n",
		stats.Height, m.Block.Hash(), stats.Entries, stats.Chunks, c.String("datadir"), time.Since(start).Seconds())
	return nil
}
