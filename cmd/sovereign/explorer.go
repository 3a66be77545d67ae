package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sovereign-ledger/sovereign/explorer"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/urfave/cli/v2"
)

// The explorer's flags on `sovereign node`, added to nodeCommand here so
// node.go keeps one line for them (runNode reads explorerConfig).
var (
	explorerFlag             = &cli.BoolFlag{Name: "explorer", Value: true, Usage: "serve the chain explorer at /explorer on the RPC address (or --explorer.addr)", EnvVars: []string{"SOV_EXPLORER"}}
	explorerAddrFlag         = &cli.StringFlag{Name: "explorer.addr", Usage: "serve the explorer on this host:port of its own instead of the RPC address", EnvVars: []string{"SOV_EXPLORER_ADDR"}}
	explorerHideAccountsFlag = &cli.BoolFlag{Name: "explorer.hide-accounts", Usage: "hide account pages (balances, histories, payouts, reconciliation) from anonymous visitors", EnvVars: []string{"SOV_EXPLORER_HIDE_ACCOUNTS"}}
	explorerTokenFileFlag    = &cli.StringFlag{Name: "explorer.token-file", Usage: "file holding an access token that shows hidden account pages to visitors who sign in with it", EnvVars: []string{"SOV_EXPLORER_TOKEN_FILE"}}
)

func init() {
	nodeCommand.Flags = append(nodeCommand.Flags, explorerFlag, explorerAddrFlag, explorerHideAccountsFlag, explorerTokenFileFlag)
}

// explorerConfig reads the node's explorer flags.
func explorerConfig(c *cli.Context) (node.ExplorerConfig, error) {
	ec := node.ExplorerConfig{Enabled: c.Bool(explorerFlag.Name), Addr: c.String(explorerAddrFlag.Name), HideAccounts: c.Bool(explorerHideAccountsFlag.Name)}
	token, err := readToken(c.String(explorerTokenFileFlag.Name))
	ec.AccountToken = token
	return ec, err
}

// readToken reads an access token file's first line ("" without a file).
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	token, err := readPassword(path)
	if err == nil && token == "" {
		err = fmt.Errorf("token file %s is empty", path)
	}
	return token, err
}

var explorerCommand = &cli.Command{
	Name:  "explorer",
	Usage: "serve the chain explorer for a node's JSON-RPC",
	Description: "Serves the explorer page at http://ADDR/explorer/ and forwards its read-only\n" +
		"calls and its WebSocket subscription to --rpc. See docs/EXPLORER.md.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "rpc", Value: "http://127.0.0.1:8545", Usage: "the node's JSON-RPC URL", EnvVars: []string{"SOV_RPC"}},
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (host:port)", EnvVars: []string{"SOV_EXPLORER_ADDR"}},
		&cli.BoolFlag{Name: "hide-accounts", Usage: explorerHideAccountsFlag.Usage, EnvVars: []string{"SOV_EXPLORER_HIDE_ACCOUNTS"}},
		&cli.StringFlag{Name: "token-file", Usage: explorerTokenFileFlag.Usage, EnvVars: []string{"SOV_EXPLORER_TOKEN_FILE"}},
	},
	Action: runExplorer,
}

func runExplorer(c *cli.Context) error {
	token, err := readToken(c.String("token-file"))
	if err != nil {
		return err
	}
	h, err := explorer.Handler(explorer.Options{RPC: strings.TrimRight(c.String("rpc"), "/"), HideAccounts: c.Bool("hide-accounts"), AccountToken: token})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	explorer.Mount(mux, "/explorer", h)
	mux.Handle("/{$}", http.RedirectHandler("/explorer/", http.StatusFound))
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("explorer listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("explorer: http://%s/explorer/\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
