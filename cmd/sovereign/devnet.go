package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/urfave/cli/v2"
)

var devnetCommand = &cli.Command{
	Name:  "devnet",
	Usage: "run a local development consortium on the repository's genesis (INSECURE published keys)",
	Description: `Starts the devnet chain in DIR (a fresh temporary directory when --dir is absent):
writes the funded demo accounts' keystore files to DIR/keystore, their password to
DIR/password and DIR/accounts.json, prints the RPC URL, and runs until SIGINT/SIGTERM.
Started again on the same DIR it resumes from disk.`,
	Flags: []cli.Flag{
		&cli.IntFlag{Name: "validators", Value: 1, Usage: "number of validators", EnvVars: []string{"SOV_DEVNET_VALIDATORS"}},
		&cli.StringFlag{Name: "dir", Usage: "devnet directory (default: a new temporary directory)", EnvVars: []string{"SOV_DEVNET_DIR"}},
		rpcAddrFlag,
		genesisFlag,
	},
	Action: runDevnet,
}

func runDevnet(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	template, err := loadGenesis(c)
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sovereign-devnet-"); err != nil {
			return err
		}
	}
	n := c.Int("validators")
	if n != 1 {
		return cli.Exit("this build runs a single-validator devnet; use --validators 1", 2)
	}
	g, err := devnet.Prepare(dir, template, n)
	if err != nil {
		return err
	}
	layout := devnet.Layout{Dir: dir}
	nd, err := node.New(node.Config{
		DataDir:         layout.NodeDir(0),
		Genesis:         g,
		Key:             chain.DevKey(chain.DevSeed, "validator", 0),
		HashChainSecret: chain.DevHashChainSecret(chain.DevSeed, 0),
		RPCAddr:         c.String(rpcAddrFlag.Name),
		Logger:          log,
	})
	if err != nil {
		return err
	}
	if err := nd.Start(); err != nil {
		nd.Close()
		return err
	}
	fmt.Printf("devnet dir:  %s\n", dir)
	fmt.Printf("keystore:    %s (password in %s)\n", layout.Keystore(), layout.PasswordFile())
	fmt.Printf("accounts:    %s\n", layout.Accounts())
	fmt.Printf("rpc:         %s\n", nd.RPCURL())
	return waitAndClose(nd)
}

// waitAndClose runs until SIGINT/SIGTERM or a fatal node error, then stops
// the node cleanly.
func waitAndClose(nd *node.Node) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	var runErr error
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "received %s, stopping\n", s)
	case runErr = <-nd.Fatal():
	}
	if err := nd.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
