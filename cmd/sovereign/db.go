package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/node"
)

// dbDeepCheckFlag turns on the deep start-up check of `sovereign node`.
var dbDeepCheckFlag = &cli.BoolFlag{
	Name:    "db.deepcheck",
	Usage:   "at start, also verify every certificate's signatures, every stored value's checksum and the state root (slower; the quick check of blocks and certificates runs always)",
	EnvVars: []string{"SOV_DB_DEEPCHECK"},
}

var dbCommand = &cli.Command{
	Name:  "db",
	Usage: "check and repair the chain database",
	Subcommands: []*cli.Command{
		{
			Name:   "check",
			Usage:  "run the deep integrity check on a stopped node's database",
			Flags:  []cli.Flag{&cli.StringFlag{Name: "datadir", Required: true, Usage: "data directory", EnvVars: []string{"SOV_DATADIR"}}, genesisFlag},
			Action: runDBCheck,
		},
		{
			Name: "repair",
			Usage: "rebuild a damaged database from what verifies: recover the readable tables and journals, keep blocks 1..h " +
				"that verify with their certificates, replay them, and keep the damaged original beside; the node re-syncs the rest from its peers",
			Flags:  []cli.Flag{&cli.StringFlag{Name: "datadir", Required: true, Usage: "data directory", EnvVars: []string{"SOV_DATADIR"}}, genesisFlag},
			Action: runDBRepair,
		},
	},
}

func runDBCheck(c *cli.Context) error {
	g, err := loadGenesis(c)
	if err != nil {
		return err
	}
	kv, err := ledger.OpenLevelDB(node.StoreDir(c.String("datadir")))
	if err != nil {
		return err
	}
	defer kv.Close()
	l, err := ledger.OpenLedger(kv, g)
	if err != nil {
		return err
	}
	res, err := l.CheckIntegrity(true)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "database sound: blocks 1..%d with certificates, checksums and state root verified\n", res.Head)
	return nil
}

func runDBRepair(c *cli.Context) error {
	g, err := loadGenesis(c)
	if err != nil {
		return err
	}
	dir := node.StoreDir(c.String("datadir"))
	res, err := ledger.Repair(dir, g)
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "kept blocks 1..%d (the damaged store named head %d); replayed in %s\n", res.Kept, res.Found, res.Replayed.Round(1e6))
	if res.DroppedTables {
		fmt.Fprintln(w, "a corrupted table could not be salvaged and was dropped whole")
	}
	if res.NoSafetyRecord {
		fmt.Fprintln(w, "warning: no consensus safety record survived the damage")
	}
	fmt.Fprintln(w, "a validator: start it without --key until it has caught up with its peers, then with its key; the damage may have taken its last votes")
	fmt.Fprintf(w, "the damaged original is at %s; start the node to re-sync blocks above %d from its peers\n", res.Damaged, res.Kept)
	return nil
}
