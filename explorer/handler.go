package explorer

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Options configures the explorer.
type Options struct {
	// RPC is the node's JSON-RPC URL (http:// or https://); the page's
	// calls and its WebSocket subscription are forwarded there.
	RPC string
	// HideAccounts hides account pages (balances, history, escrow lists,
	// proofs, payouts and reconciliation) from anonymous visitors: the page
	// does not offer them and the forwarder refuses their methods.
	HideAccounts bool
	// AccountToken, when set with HideAccounts, lets a visitor who signs in
	// with it (a cookie set by POST login) see account pages.
	AccountToken string
	// Client makes the forwarded HTTP calls; nil uses a client with a 60 s timeout.
	Client *http.Client
}

// cookieName carries the account token of a signed-in visitor.
const cookieName = "sov_explorer_token"

// Handler serves the explorer's page, its configuration and the RPC
// forwarder. Mount it under a prefix with http.StripPrefix; every URL the
// page uses is relative.
func Handler(opts Options) (http.Handler, error) {
	u, err := url.Parse(opts.RPC)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("explorer: rpc URL %q: want http://host:port", opts.RPC)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 60 * time.Second}
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	f := &forwarder{upstream: u, client: opts.Client}
	go f.warm()
	mux := http.NewServeMux()
	files := http.FileServerFS(sub)
	mux.Handle("GET /", noCache(files))
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]bool{
			"accounts": opts.accountsVisible(r),
			"login":    opts.HideAccounts && opts.AccountToken != "",
		})
	})
	mux.HandleFunc("POST /login", opts.login)
	mux.HandleFunc("POST /rpc", func(w http.ResponseWriter, r *http.Request) { f.serveHTTP(w, r, opts.accountsVisible(r)) })
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { f.serveWS(w, r, opts.accountsVisible(r)) })
	return securityHeaders(mux), nil
}

// accountsVisible reports whether this visitor may see account pages.
func (o *Options) accountsVisible(r *http.Request) bool {
	if !o.HideAccounts {
		return true
	}
	if o.AccountToken == "" {
		return false
	}
	c, err := r.Cookie(cookieName)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(o.AccountToken)) == 1
}

// login checks the posted token and, when it is right, sets the cookie.
func (o *Options) login(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if !o.HideAccounts || o.AccountToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(o.AccountToken)) != 1 {
		http.Error(w, "wrong token", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders keeps the page to its own scripts and its own origin.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Mount serves h under prefix (e.g. "/explorer") on mux, redirecting the
// bare prefix to prefix + "/" so the page's relative URLs resolve.
func Mount(mux *http.ServeMux, prefix string, h http.Handler) {
	prefix = strings.TrimSuffix(prefix, "/")
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	mux.Handle(prefix, http.RedirectHandler(prefix+"/", http.StatusMovedPermanently))
}
