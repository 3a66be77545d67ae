package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Access control modes of Config.RPCAuth.
const (
	RPCAuthAuto = ""    // on unless RPCAddr is a loopback address
	RPCAuthOn   = "on"  // callers present bearer tokens (docs/adr/0020-rpc-access-control.md)
	RPCAuthOff  = "off" // every caller is admin (the devnet)
)

// DefaultRPCSecretFile is the token secret's file inside the data dir.
const DefaultRPCSecretFile = "rpc-jwt.hex"

// rpcConfig is the RPC server's configuration: the limits as configured and,
// when access control is on, the token secret (created if missing).
func (n *Node) rpcConfig() (rpc.Config, error) {
	cfg := n.cfg.RPCLimits
	on, err := rpcAuthOn(n.cfg.RPCAuth, n.cfg.RPCAddr)
	if err != nil || !on {
		return cfg, err
	}
	path := n.cfg.RPCSecretFile
	if path == "" {
		path = filepath.Join(n.cfg.DataDir, DefaultRPCSecretFile)
	}
	secret, created, err := rpc.LoadOrCreateSecret(path)
	if err != nil {
		return cfg, err
	}
	if created {
		n.log.Info("created the RPC token secret; mint tokens with `sovereign rpc token --secret-file`", "file", path)
	}
	cfg.AuthSecret = secret
	return cfg, nil
}

// rpcAuthOn applies the RPCAuth mode to the listen address.
func rpcAuthOn(mode, addr string) (bool, error) {
	switch mode {
	case RPCAuthOn:
		return true, nil
	case RPCAuthOff:
		return false, nil
	case RPCAuthAuto:
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return false, fmt.Errorf("rpc address %q: %w", addr, err)
		}
		if host == "localhost" {
			return false, nil
		}
		ip := net.ParseIP(host)
		return ip == nil || !ip.IsLoopback(), nil
	}
	return false, fmt.Errorf("rpc auth %q: want on, off or empty (on unless bound to loopback)", mode)
}

// startRPC serves JSON-RPC on RPCAddr through the connection limits, the
// explorer beside it when enabled, and /metrics beside it or, with
// MetricsAddr, on its own address. All stop when ctx ends.
func (n *Node) startRPC(ctx context.Context) error {
	if n.cfg.MetricsAddr != "" {
		ln, err := listen("metrics", n.cfg.MetricsAddr)
		if err != nil {
			return err
		}
		n.metLn = ln
		n.serveHTTP(ctx, "metrics", ln, n.opsHandler(nil))
	}
	if n.cfg.RPCAddr == "" {
		return nil
	}
	cfg, err := n.rpcConfig()
	if err != nil {
		return err
	}
	n.rpcSrv = rpc.NewServer(n.backend, rpc.WithConfig(cfg))
	registerRPCMetrics(n.metrics.reg, n.rpcSrv)
	h := n.rpcSrv.Handler()
	if n.cfg.MetricsAddr == "" {
		h = n.opsHandler(h)
	}
	if n.rpcLn, err = listen("rpc", n.cfg.RPCAddr); err != nil {
		return err
	}
	if h, err = n.withExplorer(ctx, h); err != nil { // the explorer needs the RPC URL
		n.rpcLn.Close()
		return err
	}
	n.log.Info("rpc", "access_control", cfg.AuthSecret != nil, "metrics", n.cfg.MetricsAddr)
	n.httpSrv = n.serveHTTP(ctx, "rpc", n.rpcSrv.Listener(n.rpcLn), h)
	return nil
}

func listen(what, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listen %s: %w", what, addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on ln until ctx ends.
func (n *Node) serveHTTP(ctx context.Context, what string, ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.fail(fmt.Errorf("%s server: %w", what, err))
		}
	}()
	go func() {
		defer n.wg.Done()
		<-ctx.Done()
		srv.Close()
	}()
	return srv
}

// handler serves the node's Prometheus series.
func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// registerRPCMetrics exports the RPC edge's counters.
func registerRPCMetrics(reg *prometheus.Registry, srv *rpc.Server) {
	gauge := func(name, help string, v func(rpc.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v(srv.Stats())) })
	}
	counter := func(name, help string, v func(rpc.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(srv.Stats())) })
	}
	reg.MustRegister(
		gauge("sovereign_rpc_connections", "Open RPC connections.", func(s rpc.Stats) int64 { return s.Conns }),
		gauge("sovereign_rpc_websockets", "Open RPC WebSocket connections.", func(s rpc.Stats) int64 { return s.WebsocketConns }),
		gauge("sovereign_rpc_subscriptions", "Live RPC subscriptions.", func(s rpc.Stats) int64 { return s.Subscriptions }),
		counter("sovereign_rpc_connections_refused_total", "Connections refused over the total or per-address limit.", func(s rpc.Stats) int64 { return s.ConnsRefused }),
		counter("sovereign_rpc_subscriptions_refused_total", "Subscriptions refused over a limit.", func(s rpc.Stats) int64 { return s.SubsRefused }),
		counter("sovereign_rpc_rate_limited_total", "Calls or requests refused by the rate limit.", func(s rpc.Stats) int64 { return s.RateLimited }),
		counter("sovereign_rpc_slow_dropped_total", "Connections dropped because a write stalled.", func(s rpc.Stats) int64 { return s.SlowDropped }),
		counter("sovereign_rpc_origin_refused_total", "WebSocket handshakes refused for their Origin.", func(s rpc.Stats) int64 { return s.OriginRefused }),
		counter("sovereign_rpc_auth_refused_total", "Requests with a bad, expired or mis-signed token.", func(s rpc.Stats) int64 { return s.AuthRefused }),
		counter("sovereign_rpc_access_refused_total", "Calls refused for the caller's role or subject.", func(s rpc.Stats) int64 { return s.AccessRefused }),
	)
}

// MetricsURL is the URL of /metrics ("" without RPC or MetricsAddr).
func (n *Node) MetricsURL() string {
	switch {
	case n.metLn != nil:
		return "http://" + n.metLn.Addr().String() + "/metrics"
	case n.rpcLn != nil:
		return n.RPCURL() + "/metrics"
	}
	return ""
}
