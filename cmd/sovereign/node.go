package main

import (
	"crypto/ecdsa"
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/p2p"
	"github.com/urfave/cli/v2"
)

var nodeCommand = &cli.Command{
	Name:  "node",
	Usage: "run a validator (with --key) or an observer node",
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "datadir", Usage: "data directory (required)", EnvVars: []string{"SOV_DATADIR"}},
		genesisFlag,
		&cli.StringFlag{Name: "key", Usage: "validator keystore file (absent: observer)", EnvVars: []string{"SOV_KEY"}},
		&cli.StringFlag{Name: "password-file", Usage: "file holding the keystore password", EnvVars: []string{"SOV_PASSWORD_FILE"}},
		&cli.IntFlag{Name: "signer.double-sign-check-heights", Usage: "heights a validator whose signer state (DATADIR/signer) is missing or older than the chain watches without signing (negative: no watch; restore the signer state instead)", Value: 2, EnvVars: []string{"SOV_DOUBLE_SIGN_CHECK_HEIGHTS"}},
		&cli.StringFlag{Name: "hashchain.secret-file", Usage: "file holding the validator's hash-chain secret (hex)", EnvVars: []string{"SOV_HASHCHAIN_SECRET_FILE"}},
		rpcAddrFlag,
		&cli.StringFlag{Name: "pprof.addr", Usage: "serve Go profiles (net/http/pprof) on this host:port; off when empty", EnvVars: []string{"SOV_PPROF_ADDR"}},
		&cli.StringSliceFlag{Name: "p2p.listen", Usage: "libp2p listen multiaddrs, e.g. /ip4/0.0.0.0/tcp/30300 (absent: no network, a lone validator)", EnvVars: []string{"SOV_P2P_LISTEN"}},
		&cli.StringSliceFlag{Name: "p2p.bootnodes", Usage: "peers to connect to, multiaddrs ending in /p2p/PEER_ID (comma-separated)", EnvVars: []string{"SOV_P2P_BOOTNODES"}},
		&cli.StringSliceFlag{Name: "p2p.observers", Usage: "peer ids of observer nodes admitted besides the validators", EnvVars: []string{"SOV_P2P_OBSERVERS"}},
		&cli.IntFlag{Name: "p2p.mesh-degree", Value: p2p.DefaultMeshDegree, EnvVars: []string{"SOV_P2P_MESH_DEGREE"},
			Usage: fmt.Sprintf("peers each node relays every gossip message to (%d-%d); validators all connected to one another can lower it to cut redundant copies (docs/OPERATIONS.md)", p2p.MinMeshDegree, p2p.MaxMeshDegree)},
		// Test only (faultnet's clock-skew runs): shifts the node's clock.
		&cli.DurationFlag{Name: "clock.offset", Hidden: true, Usage: "shift the node's wall clock by this much (tests of clock skew only)"},
		dbDeepCheckFlag,
		&cli.StringFlag{Name: "webhooks", Usage: "JSON file listing webhooks [{\"url\", \"secret\", \"accounts\"}] notified of final events", EnvVars: []string{"SOV_WEBHOOKS"}},
	}, rpcEdgeFlags...),
	Action:      runNode,
	Subcommands: nodeWebhookCommands(),
}

func runNode(c *cli.Context) error {
	file, err := applyConfigFile(c)
	if err != nil {
		return err
	}
	if c.String("datadir") == "" {
		return fmt.Errorf("--datadir is required (the flag, SOV_DATADIR or datadir in --config)")
	}
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	g, err := loadGenesis(c)
	if err != nil {
		return err
	}
	cfg := node.Config{
		DataDir: c.String("datadir"), Genesis: g, RPCAddr: c.String(rpcAddrFlag.Name), Logger: log,
		DoubleSignCheckHeights: c.Int("signer.double-sign-check-heights"),
		P2PListen:              c.StringSlice("p2p.listen"), Bootnodes: c.StringSlice("p2p.bootnodes"), Observers: c.StringSlice("p2p.observers"),
		P2PMeshDegree: c.Int("p2p.mesh-degree"),
		DeepCheck:     c.Bool(dbDeepCheckFlag.Name),
	}
	if off := c.Duration("clock.offset"); off != 0 {
		log.Warn("clock offset set: this node's clock is deliberately wrong (a test of clock skew)", "offset", off)
		cfg.Clock = node.NewOffsetClock(off)
	}
	opsConfig(c, &cfg)
	governanceConfig(c, &cfg)
	if err := snapshotSyncConfig(c, &cfg); err != nil {
		return err
	}
	if err := rpcEdgeConfig(c, &cfg); err != nil {
		return err
	}
	if cfg.Explorer, err = explorerConfig(c); err != nil {
		return err
	}
	if path := c.String("key"); path != "" {
		if cfg.Key, err = readKeyFile(path, c.String("password-file")); err != nil {
			return err
		}
		secretFile := c.String("hashchain.secret-file")
		if secretFile == "" {
			return fmt.Errorf("--hashchain.secret-file is required with --key")
		}
		if cfg.HashChainSecret, err = readHashFile(secretFile); err != nil {
			return err
		}
	}
	cfg.Webhooks = file.Webhooks
	if path := c.String("webhooks"); path != "" {
		if cfg.Webhooks, err = node.LoadWebhooks(path); err != nil {
			return err
		}
	}
	if addr := c.String("pprof.addr"); addr != "" {
		go func() { log.Warn("pprof server stopped", "err", http.ListenAndServe(addr, nil)) }()
	}
	nd, err := node.New(cfg)
	if err != nil {
		return err
	}
	if err := nd.Start(); err != nil {
		nd.Close()
		return err
	}
	fmt.Printf("rpc: %s\n", nd.RPCURL())
	if u := nd.ExplorerURL(); u != "" {
		fmt.Printf("explorer: %s\n", u)
	}
	if id := nd.PeerID(); id != "" {
		fmt.Printf("peer id: %s\n", id)
		for _, a := range nd.P2PAddrs() {
			fmt.Printf("p2p: %s\n", a)
		}
	}
	return waitAndClose(nd)
}

// readKeyFile decrypts a keystore v3 file.
func readKeyFile(path, passwordFile string) (*ecdsa.PrivateKey, error) {
	if passwordFile == "" {
		return nil, fmt.Errorf("--password-file is required with --key")
	}
	pass, err := readPassword(passwordFile)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k, err := keystore.DecryptKey(raw, pass)
	if err != nil {
		return nil, fmt.Errorf("decrypt key file %s: %w", path, err)
	}
	return k.PrivateKey, nil
}

// readPassword reads a password file's first line.
func readPassword(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// readHashFile reads a 32-byte hex value.
func readHashFile(path string) (common.Hash, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return common.Hash{}, fmt.Errorf("read %s: %w", path, err)
	}
	s := strings.TrimSpace(string(raw))
	b := common.FromHex(s)
	if len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("%s: want 32 bytes of hex, got %q", path, s)
	}
	return common.BytesToHash(b), nil
}
