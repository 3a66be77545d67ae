package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// Namespace is the prefix of every method: sov_sendRawTransaction, ...
const Namespace = "sov"

// Defaults for the server's limits.
const (
	DefaultBodyLimit     = 1 << 20 // bytes of one HTTP request or WebSocket message
	DefaultBatchItems    = 100     // calls in one batch
	DefaultBatchResponse = 8 << 20 // bytes of one batch's responses
)

// Config tunes the server. The zero value gets the defaults.
type Config struct {
	BodyLimit     int // max request body / WebSocket message, bytes
	BatchItems    int // max calls per batch
	BatchResponse int // max bytes of a batch's responses
	// AllowedOrigins are the browser origins allowed to open a WebSocket
	// besides the server's own ("*" allows all, "https://*.example.com" a
	// subdomain). Clients that send no Origin (not browsers) are allowed.
	AllowedOrigins []string

	// Resource limits (limits.go); zero gets the default.
	MaxSubscriptions      int           // per WebSocket connection (100)
	MaxSubscriptionsTotal int           // over all connections (10,000)
	MaxConnsPerIP         int           // open connections from one client address (64); Serve and Listener only
	MaxConns              int           // open connections in total (1024, at most half of RLIMIT_NOFILE); Serve and Listener only
	RequestRate           float64       // calls per second per client address (200); negative: no limit
	RequestBurst          int           // calls at once per client address (400)
	WriteTimeout          time.Duration // a write to a connection slower than this drops it (10 s)

	// AuthSecret turns access control on: callers present an HS256 bearer
	// token signed with it (auth.go, access.go). nil: off, every caller is admin.
	AuthSecret []byte
}

// Option changes the Config.
type Option func(*Config)

// WithConfig replaces the whole configuration (zero fields get defaults).
func WithConfig(c Config) Option { return func(dst *Config) { *dst = c } }

// Server serves the sov service over HTTP and WebSocket on one address: a
// request with "Upgrade: websocket" is upgraded, anything else is JSON-RPC
// over HTTP POST.
type Server struct {
	rpc     *gethrpc.Server
	api     *API
	handler http.Handler
	cfg     Config
	edge    *edge

	mu    sync.Mutex
	https []*http.Server
}

// NewServer builds the service over b. It panics only if the API cannot be
// registered, which is a programming error.
func NewServer(b Backend, opts ...Option) *Server {
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	orDefault(&cfg.BodyLimit, DefaultBodyLimit)
	orDefault(&cfg.BatchItems, DefaultBatchItems)
	orDefault(&cfg.BatchResponse, DefaultBatchResponse)
	cfg.fillLimits()
	srv := gethrpc.NewServer()
	srv.SetHTTPBodyLimit(cfg.BodyLimit)
	srv.SetWebsocketReadLimit(int64(cfg.BodyLimit))
	srv.SetBatchLimits(cfg.BatchItems, cfg.BatchResponse)
	s := &Server{rpc: srv, api: newAPI(b), cfg: cfg}
	s.edge = newEdge(&s.cfg)
	if err := srv.RegisterName(Namespace, &guardedAPI{s: s, api: s.api}); err != nil {
		panic(fmt.Sprintf("register %s service: %v", Namespace, err))
	}
	ws := srv.WebsocketHandler([]string{"*"}) // origins are checked in serveWebsocket
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.identify(w, r)
		if !ok {
			return
		}
		if isWebsocket(r) {
			s.serveWebsocket(ws, w, r, c)
			return
		}
		s.serveHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)), c)
	})
	return s
}

// identify reads the caller's bearer token, answering 401 when it is
// malformed, expired or not signed with the server's secret.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (*caller, bool) {
	c := &caller{ip: clientIP(r.RemoteAddr), claims: s.anonymous()}
	if s.cfg.AuthSecret == nil {
		return c, true
	}
	tok, ok, err := bearer(r)
	if ok {
		c.claims, err = s.edge.verify(s.cfg.AuthSecret, tok, time.Now())
	}
	if err != nil {
		s.edge.stats.authRefused.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer realm="sovereign"`)
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, err.Error(), ErrCodeUnauthorized)
		return nil, false
	}
	return c, true
}

// serveWebsocket checks the origin and the rate, then serves the
// connection, registered under its remote address so that its calls find
// their caller, until it closes.
func (s *Server) serveWebsocket(ws http.Handler, w http.ResponseWriter, r *http.Request, c *caller) {
	if !s.edge.originAllowed(r) {
		writeError(w, http.StatusForbidden, CodeForbidden,
			fmt.Sprintf("WebSocket origin %q is not allowed", r.Header.Get("Origin")), ErrCodeOriginNotAllowed)
		return
	}
	if !s.edge.allowCalls(c.ip, 1) {
		writeRateLimited(w, s.cfg.RequestRate)
		return
	}
	done := make(chan struct{})
	c.subs, c.done = new(atomic.Int64), done
	defer close(done)
	hw := &registeringWriter{ResponseWriter: w, e: s.edge, c: c}
	defer func() {
		if hw.unregister != nil {
			hw.unregister()
		}
	}()
	ws.ServeHTTP(hw, r)
}

// registeringWriter registers the caller under the remote address of the
// connection go-ethereum's upgrader hijacks — the address go-ethereum then
// reports to each call — even if something in front rewrote r.RemoteAddr.
type registeringWriter struct {
	http.ResponseWriter
	e          *edge
	c          *caller
	unregister func()
}

func (w *registeringWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over for a WebSocket")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	unregister, ok := w.e.registerSocket(conn.RemoteAddr().String(), w.c)
	if !ok {
		conn.Close()
		return nil, nil, fmt.Errorf("a WebSocket from %s is already open", conn.RemoteAddr())
	}
	w.unregister = unregister
	return conn, rw, nil
}

// Listener wraps ln with the connection limits: over MaxConns in total or
// MaxConnsPerIP from one address a connection is answered 503 and closed;
// a connection whose writes stall past WriteTimeout is dropped. Serve uses
// it; a caller serving Handler on its own http.Server should too.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, e: s.edge, refusing: make(chan struct{}, maxRefusing)}
}

// Stats reports what the limits and access control did so far.
func (s *Server) Stats() Stats { return s.edge.snapshot() }

// Limits returns the configuration in force, defaults filled in (without
// the token secret).
func (s *Server) Limits() Config {
	c := s.cfg
	c.AuthSecret = nil
	return c
}

// Handler is the HTTP handler serving both transports; mount it anywhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.mu.Lock()
	s.https = append(s.https, hs)
	s.mu.Unlock()
	if err := hs.Serve(s.Listener(ln)); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the listeners and the service, ending WebSocket connections
// and subscriptions.
func (s *Server) Close() error {
	s.mu.Lock()
	hss := s.https
	s.https = nil
	s.mu.Unlock()
	var errs []error
	for _, hs := range hss {
		errs = append(errs, hs.Close())
	}
	s.rpc.Stop()
	return errors.Join(errs...)
}

// serveHTTP enforces the body limit with a JSON-RPC error (geth answers a
// too-long Content-Length with plain text and silently truncates a chunked
// body), then hands the request to geth.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, c *caller) {
	if r.Method == http.MethodPost && r.ContentLength < 0 {
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.BodyLimit)+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, -32700, "read error", "")
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	if r.ContentLength > int64(s.cfg.BodyLimit) {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("request body is %d bytes, limit %d", r.ContentLength, s.cfg.BodyLimit), ErrCodeTooLarge)
		return
	}
	if r.Method == http.MethodPost && !jsonContentType(r) {
		writeError(w, http.StatusUnsupportedMediaType, -32600,
			"content type must be application/json", ErrCodeInvalidRequest)
		return
	}
	if r.Method == http.MethodPost && s.cfg.RequestRate >= 0 {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, -32700, "read error", "")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !s.edge.allowCalls(c.ip, countCalls(body)) {
			writeRateLimited(w, s.cfg.RequestRate)
			return
		}
	}
	s.rpc.ServeHTTP(w, r)
}

// countCalls is how many calls a request body holds: the length of a
// batch, otherwise one.
func countCalls(body []byte) int {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		return 1
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(body, &batch); err != nil || len(batch) == 0 {
		return 1
	}
	return len(batch)
}

func writeRateLimited(w http.ResponseWriter, perSecond float64) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, CodeLimited,
		fmt.Sprintf("rate limit: %g calls per second from one client address", perSecond), ErrCodeRateLimited)
}

// writeError answers with a JSON-RPC error object outside geth's handler.
func writeError(w http.ResponseWriter, status, code int, msg, dataCode string) {
	type errObj struct {
		Code    int        `json:"code"`
		Message string     `json:"message"`
		Data    *ErrorData `json:"data,omitempty"`
	}
	resp := struct {
		Version string `json:"jsonrpc"`
		ID      *int   `json:"id"`
		Error   errObj `json:"error"`
	}{Version: "2.0", Error: errObj{Code: code, Message: msg}}
	if dataCode != "" {
		resp.Error.Data = &ErrorData{Code: dataCode}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// jsonContentType reports whether a POST says it carries JSON.
func jsonContentType(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || mt == "application/json-rpc" || mt == "application/jsonrequest")
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}
