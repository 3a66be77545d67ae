package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
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
	BodyLimit      int      // max request body / WebSocket message, bytes
	BatchItems     int      // max calls per batch
	BatchResponse  int      // max bytes of a batch's responses
	AllowedOrigins []string // WebSocket origins; default "*" (banks put the node behind their own gateway)
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
	handler http.Handler
	cfg     Config

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
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.BatchItems <= 0 {
		cfg.BatchItems = DefaultBatchItems
	}
	if cfg.BatchResponse <= 0 {
		cfg.BatchResponse = DefaultBatchResponse
	}
	if len(cfg.AllowedOrigins) == 0 {
		cfg.AllowedOrigins = []string{"*"}
	}
	srv := gethrpc.NewServer()
	srv.SetHTTPBodyLimit(cfg.BodyLimit)
	srv.SetWebsocketReadLimit(int64(cfg.BodyLimit))
	srv.SetBatchLimits(cfg.BatchItems, cfg.BatchResponse)
	if err := srv.RegisterName(Namespace, newAPI(b)); err != nil {
		panic(fmt.Sprintf("register %s service: %v", Namespace, err))
	}
	s := &Server{rpc: srv, cfg: cfg}
	ws := srv.WebsocketHandler(cfg.AllowedOrigins)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			ws.ServeHTTP(w, r)
			return
		}
		s.serveHTTP(w, r)
	})
	return s
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
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
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
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
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
	s.rpc.ServeHTTP(w, r)
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
