package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/rpc"
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
		&cli.IntFlag{Name: "validators", Value: 4, Usage: "number of validators (1 runs in this process; more run as separate `sovereign node` processes)", EnvVars: []string{"SOV_DEVNET_VALIDATORS"}},
		&cli.IntFlag{Name: "p2p.port", Value: 30300, Usage: "validator i listens for peers on loopback port P2P_PORT+i", EnvVars: []string{"SOV_DEVNET_P2P_PORT"}},
		&cli.StringFlag{Name: "dir", Usage: "devnet directory (default: a new temporary directory)", EnvVars: []string{"SOV_DEVNET_DIR"}},
		rpcAddrFlag,
		genesisFlag,
		&cli.StringFlag{Name: "webhooks", Usage: "with --validators 1: JSON file listing webhooks [{\"url\", \"secret\", \"accounts\"}] notified of final events (as sovereign node --webhooks)", EnvVars: []string{"SOV_WEBHOOKS"}},
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
	g, err := devnet.Prepare(dir, template, n)
	if err != nil {
		return err
	}
	layout := devnet.Layout{Dir: dir}
	var hooks []node.Webhook
	if path := c.String("webhooks"); path != "" {
		if n > 1 {
			return fmt.Errorf("--webhooks needs --validators 1 (give each validator's `sovereign node` its own --webhooks)")
		}
		if hooks, err = node.LoadWebhooks(path); err != nil {
			return err
		}
	}
	if n > 1 {
		return runDevnetProcesses(c, layout, n)
	}
	nd, err := node.New(node.Config{
		DataDir:         layout.NodeDir(0),
		Genesis:         g,
		Key:             devnet.Key(devnet.Seed, "validator", 0),
		HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		RPCAddr:         c.String(rpcAddrFlag.Name),
		RPCAuth:         node.RPCAuthOff,                    // the devnet has no access control,
		RPCLimits:       rpc.Config{RequestRate: -1},        // nor a rate limit: `sovereign bench` runs against it
		Explorer:        node.ExplorerConfig{Enabled: true}, // as `sovereign node` (--explorer defaults to on)
		Webhooks:        hooks,
		Logger:          log,
	})
	if err != nil {
		return err
	}
	if err := nd.Start(); err != nil {
		nd.Close()
		return err
	}
	printDevnetPaths(layout)
	fmt.Printf("rpc:         %s\n", nd.RPCURL())
	fmt.Printf("explorer:    %s\n", nd.ExplorerURL())
	return waitAndClose(nd)
}

// runDevnetProcesses runs n validators as separate processes of this binary.
func runDevnetProcesses(c *cli.Context, layout devnet.Layout, n int) error {
	host, portStr, err := net.SplitHostPort(c.String(rpcAddrFlag.Name))
	if err != nil {
		return fmt.Errorf("--rpc.addr: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port == 0 {
		return fmt.Errorf("--rpc.addr needs a fixed port with several validators (validator i serves PORT+i)")
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	p := &devnet.Processes{Layout: layout, N: n, Binary: bin, RPCHost: host, RPCPort: port, P2PPort: c.Int("p2p.port"),
		LogLevel: c.String(logLevelFlag.Name), Out: os.Stdout}
	printDevnetPaths(layout)
	fmt.Printf("rpc:         %s\n", p.RPCURL(0))
	fmt.Printf("explorer:    %s/explorer/\n", p.RPCURL(0))
	for i := 0; i < n; i++ {
		fmt.Printf("validator %d: rpc %s, p2p port %d, log %s.log\n", i, p.RPCURL(i), p.P2PPort+i, layout.NodeDir(i))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = p.Run(ctx)
	fmt.Println("devnet stopped")
	return err
}

func printDevnetPaths(layout devnet.Layout) {
	fmt.Printf("devnet dir:  %s\n", layout.Dir)
	fmt.Printf("keystore:    %s (password in %s)\n", layout.Keystore(), layout.PasswordFile())
	fmt.Printf("accounts:    %s\n", layout.Accounts())
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
