package rpc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Defaults for the resource limits (docs/RPC.md, "Limits").
const (
	DefaultMaxSubscriptions      = 100    // per WebSocket connection
	DefaultMaxSubscriptionsTotal = 10_000 // over all connections
	DefaultMaxConnsPerIP         = 64     // open TCP connections from one client address
	DefaultMaxConns              = 1024   // open TCP connections in total (capped below RLIMIT_NOFILE)
	DefaultRequestRate           = 200    // calls per second per client address
	DefaultRequestBurst          = 400    // calls a client may make at once
	DefaultWriteTimeout          = 10 * time.Second
	rateClients                  = 10_000 // client addresses whose buckets are remembered
)

// Numeric code and string codes of the limit errors. CodeLimited is the
// number go-ethereum uses for "limit exceeded".
const (
	CodeLimited = -32005

	ErrCodeRateLimited      = "rate_limited"
	ErrCodeTooManySubs      = "too_many_subscriptions"
	ErrCodeTooManyConns     = "too_many_connections"
	ErrCodeOriginNotAllowed = "origin_not_allowed"
)

// Stats counts what the limits did since the server started.
type Stats struct {
	Conns          int64 // open TCP connections (through Serve or Listener)
	ConnsRefused   int64 // refused with 503 over the total or per-address limit
	Subscriptions  int64 // live subscriptions
	SubsRefused    int64 // sov_subscribe calls refused over a limit
	RateLimited    int64 // calls or requests refused by the rate limit
	SlowDropped    int64 // connections dropped because a write timed out
	OriginRefused  int64 // WebSocket handshakes refused for their Origin
	AuthRefused    int64 // requests with a bad, expired or mis-signed token
	AccessRefused  int64 // calls refused for the caller's role or subject
	WebsocketConns int64 // open WebSocket connections
}

// edge holds the limits' live state: connection counts, rate buckets and the
// registry of WebSocket connections (go-ethereum hands a WebSocket call
// nothing of its HTTP request but the remote address, so that is the key).
type edge struct {
	cfg    *Config
	rates  *lru.Cache[string, *rate.Limiter]
	tokens *lru.Cache[string, Claims] // verified bearer tokens (auth.go)

	mu      sync.Mutex
	perIP   map[string]int
	total   int
	sockets map[string]*caller // by remote address, WebSocket connections only

	subs  atomic.Int64
	stats struct {
		connsRefused, subsRefused, rateLimited, slowDropped  atomic.Int64
		originRefused, authRefused, accessRefused, websocket atomic.Int64
	}
}

func newEdge(cfg *Config) *edge {
	rates, err := lru.New[string, *rate.Limiter](rateClients)
	if err != nil {
		panic(err) // only for a non-positive size
	}
	tokens, err := lru.New[string, Claims](verifiedTokens)
	if err != nil {
		panic(err)
	}
	return &edge{cfg: cfg, rates: rates, tokens: tokens, perIP: make(map[string]int), sockets: make(map[string]*caller)}
}

// fillLimits gives zero limit fields their defaults and caps the total
// connection count below the file-descriptor limit.
func (c *Config) fillLimits() {
	orDefault(&c.MaxSubscriptions, DefaultMaxSubscriptions)
	orDefault(&c.MaxSubscriptionsTotal, DefaultMaxSubscriptionsTotal)
	orDefault(&c.MaxConnsPerIP, DefaultMaxConnsPerIP)
	orDefault(&c.MaxConns, DefaultMaxConns)
	c.MaxConns = min(c.MaxConns, fdBudget())
	if c.RequestRate == 0 { // negative: no limit
		c.RequestRate = DefaultRequestRate
	}
	orDefault(&c.RequestBurst, DefaultRequestBurst)
	orDefault(&c.WriteTimeout, DefaultWriteTimeout)
}

// orDefault sets *v to def when it is zero or negative.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// fdBudget is how many RPC connections the process's RLIMIT_NOFILE leaves
// room for: half of it, so the store, p2p and logs keep the other half.
func fdBudget() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return DefaultMaxConns
	}
	return int(max(min(lim.Cur/2, 1<<30), 1))
}

// allowCalls takes n calls from ip's token bucket. A negative RequestRate
// turns the rate limit off.
func (e *edge) allowCalls(ip string, n int) bool {
	if e.cfg.RequestRate < 0 {
		return true
	}
	lim, ok := e.rates.Get(ip)
	if !ok {
		lim = rate.NewLimiter(rate.Limit(e.cfg.RequestRate), e.cfg.RequestBurst)
		if prev, found, _ := e.rates.PeekOrAdd(ip, lim); found {
			lim = prev
		}
	}
	if lim.AllowN(time.Now(), n) {
		return true
	}
	e.stats.rateLimited.Add(1)
	return false
}

// acquireConn counts a new connection from ip, or refuses it.
func (e *edge) acquireConn(ip string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.total >= e.cfg.MaxConns || e.perIP[ip] >= e.cfg.MaxConnsPerIP {
		e.stats.connsRefused.Add(1)
		return false
	}
	e.total++
	e.perIP[ip]++
	return true
}

func (e *edge) releaseConn(ip string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total--
	if e.perIP[ip]--; e.perIP[ip] <= 0 {
		delete(e.perIP, ip)
	}
}

// addSubscription counts a new subscription on c, or refuses it with a
// limit error. The caller calls the returned release when it ends.
func (e *edge) addSubscription(c *caller) (release func(), err error) {
	if c.subs == nil {
		return nil, newError(CodeLimited, ErrCodeTooManySubs, "subscriptions need a WebSocket connection")
	}
	if n := c.subs.Add(1); n > int64(e.cfg.MaxSubscriptions) {
		c.subs.Add(-1)
		e.stats.subsRefused.Add(1)
		return nil, newError(CodeLimited, ErrCodeTooManySubs, "this connection already has %d subscriptions, the limit", e.cfg.MaxSubscriptions)
	}
	if n := e.subs.Add(1); n > int64(e.cfg.MaxSubscriptionsTotal) {
		e.subs.Add(-1)
		c.subs.Add(-1)
		e.stats.subsRefused.Add(1)
		return nil, newError(CodeLimited, ErrCodeTooManySubs, "the node serves %d subscriptions, its limit", e.cfg.MaxSubscriptionsTotal)
	}
	var once sync.Once
	return func() { once.Do(func() { c.subs.Add(-1); e.subs.Add(-1) }) }, nil
}

// registerSocket records a WebSocket connection's caller under its remote
// address until the returned function is called.
func (e *edge) registerSocket(remote string, c *caller) (unregister func(), ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, taken := e.sockets[remote]; taken {
		return nil, false
	}
	e.sockets[remote] = c
	e.stats.websocket.Add(1)
	return func() {
		e.mu.Lock()
		delete(e.sockets, remote)
		e.mu.Unlock()
		e.stats.websocket.Add(-1)
	}, true
}

func (e *edge) socket(remote string) (*caller, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.sockets[remote]
	return c, ok
}

func (e *edge) snapshot() Stats {
	e.mu.Lock()
	conns := e.total
	e.mu.Unlock()
	return Stats{
		Conns: int64(conns), ConnsRefused: e.stats.connsRefused.Load(), Subscriptions: e.subs.Load(),
		SubsRefused: e.stats.subsRefused.Load(), RateLimited: e.stats.rateLimited.Load(),
		SlowDropped: e.stats.slowDropped.Load(), OriginRefused: e.stats.originRefused.Load(),
		AuthRefused: e.stats.authRefused.Load(), AccessRefused: e.stats.accessRefused.Load(),
		WebsocketConns: e.stats.websocket.Load(),
	}
}

// originAllowed applies the WebSocket origin policy: a request without an
// Origin header (not a browser) is allowed; a browser's Origin must be the
// server's own host or match an entry of AllowedOrigins ("*" allows all,
// "https://*.bank.example" a subdomain wildcard).
func (e *edge) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if _, sent := r.Header["Origin"]; !sent {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, allowed := range e.cfg.AllowedOrigins {
		if originMatches(allowed, origin) {
			return true
		}
	}
	e.stats.originRefused.Add(1)
	return false
}

func originMatches(allowed, origin string) bool {
	allowed, origin = strings.ToLower(strings.TrimSpace(allowed)), strings.ToLower(origin)
	if allowed == "*" || allowed == origin {
		return true
	}
	scheme, host, ok := strings.Cut(allowed, "://*.")
	return ok && strings.HasPrefix(origin, scheme+"://") && strings.HasSuffix(origin, "."+host)
}

// clientIP is the address part of a remote address "host:port".
func clientIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// limitListener counts the connections it accepts against the total and
// per-address limits, refuses those over a limit with an HTTP 503 carrying a
// JSON-RPC error, and hands out connections that drop a slow reader.
type limitListener struct {
	net.Listener
	e *edge
	// refusing bounds the goroutines that answer refused connections; past
	// it a refused connection is closed without an answer.
	refusing chan struct{}
}

// maxRefusing bounds the goroutines answering refused connections at once.
const maxRefusing = 64

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr().String())
		if l.e.acquireConn(ip) {
			return &edgeConn{Conn: c, e: l.e, ip: ip}, nil
		}
		select {
		case l.refusing <- struct{}{}:
			go func() {
				defer func() { <-l.refusing }()
				refuseConn(c, l.e.cfg)
			}()
		default:
			c.Close()
		}
	}
}

// refuseConn answers a connection over the limits with 503 and closes it,
// after reading what the client sent so that the close is not a reset.
func refuseConn(c net.Conn, cfg *Config) {
	defer c.Close()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":null,"error":{"code":%d,"message":"too many connections (limits: %d in total, %d per client address)","data":{"code":%q}}}`,
		CodeLimited, cfg.MaxConns, cfg.MaxConnsPerIP, ErrCodeTooManyConns)
	resp := fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
	c.SetDeadline(time.Now().Add(time.Second))
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 4096)
	c.Read(buf) // the request, if it came already
	if _, err := c.Write([]byte(resp)); err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// edgeConn is an accepted connection: it releases its count when closed,
// caps every write deadline at WriteTimeout, and closes itself when a write
// times out, so a subscriber that stops reading is dropped instead of
// holding the goroutines that write to it.
type edgeConn struct {
	net.Conn
	e      *edge
	ip     string
	closed sync.Once
}

func (c *edgeConn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() { c.e.releaseConn(c.ip) })
	return err
}

func (c *edgeConn) SetWriteDeadline(t time.Time) error {
	if latest := time.Now().Add(c.e.cfg.WriteTimeout); !t.IsZero() && t.After(latest) {
		t = latest
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *edgeConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *edgeConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		c.e.stats.slowDropped.Add(1)
		c.Close()
	}
	return n, err
}
