package node

import (
	"context"
	"net/http"

	"github.com/sovereign-ledger/sovereign/explorer"
)

// ExplorerConfig places the chain explorer (package explorer). The zero
// value serves none.
type ExplorerConfig struct {
	Enabled bool
	// Addr is the explorer's own listen address (host:port). Empty serves
	// it at /explorer on the RPC address.
	Addr string
	// HideAccounts and AccountToken: see explorer.Options.
	HideAccounts bool
	AccountToken string
}

// explorerPath is where the explorer lives on the RPC address.
const explorerPath = "/explorer"

// withExplorer adds the explorer in front of the RPC handler, or starts its
// own server on cfg.Explorer.Addr (closed when ctx ends). The page reaches the
// node's RPC through the explorer's forwarder at the node's RPC URL.
func (n *Node) withExplorer(ctx context.Context, rpcHandler http.Handler) (http.Handler, error) {
	ec := n.cfg.Explorer
	if !ec.Enabled {
		return rpcHandler, nil
	}
	h, err := explorer.Handler(explorer.Options{RPC: n.RPCURL(), HideAccounts: ec.HideAccounts, AccountToken: ec.AccountToken})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	explorer.Mount(mux, explorerPath, h)
	if ec.Addr == "" {
		mux.Handle("/", rpcHandler)
		return mux, nil
	}
	mux.Handle("/{$}", http.RedirectHandler(explorerPath+"/", http.StatusFound))
	ln, err := listen("explorer", ec.Addr)
	if err != nil {
		return nil, err
	}
	n.log.Info("explorer", "url", "http://"+ln.Addr().String()+explorerPath+"/")
	n.explorerSrv = n.serveHTTP(ctx, "explorer", ln, mux)
	return rpcHandler, nil
}

// ExplorerURL is where the explorer is served ("" when it is not).
func (n *Node) ExplorerURL() string {
	switch {
	case !n.cfg.Explorer.Enabled || n.rpcLn == nil:
		return ""
	case n.explorerSrv != nil:
		return "http://" + n.cfg.Explorer.Addr + explorerPath + "/"
	default:
		return n.RPCURL() + explorerPath + "/"
	}
}
