package rpc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/rpc/flood"
)

// memory is what runtime/metrics says about the process.
type memory struct {
	heap       uint64 // bytes of live and not yet swept heap objects
	stacks     uint64 // bytes of goroutine stacks
	goroutines uint64
}

func readMemory() memory {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/sched/goroutines:goroutines"}}
	metrics.Read(s)
	return memory{heap: s[0].Value.Uint64(), stacks: s[1].Value.Uint64(), goroutines: s[2].Value.Uint64()}
}

func (m memory) String() string {
	return fmt.Sprintf("heap %.1f MiB, stacks %.1f MiB, %d goroutines", float64(m.heap)/(1<<20), float64(m.stacks)/(1<<20), m.goroutines)
}

// eventually polls cond for up to 10 s (a loaded machine is slow).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscriptionFlood: 50,000 subscriptions on one connection. The first
// MaxSubscriptions are served, every other is refused with
// too_many_subscriptions, the process's heap and goroutines stay bounded,
// the server goes on serving, and closing the connection frees them.
func TestSubscriptionFlood(t *testing.T) {
	const subs = 50_000
	e := startEdge(t, rpc.Config{RequestRate: -1}) // the rate limit would refuse the flood first
	limit := e.srv.Limits().MaxSubscriptions
	before := readMemory()

	c, ans, err := flood.Subscriptions(e.ws, nil, subs)
	if err != nil {
		t.Fatal(err)
	}
	accepted, refused := ans.Accepted, ans.Refused[rpc.ErrCodeTooManySubs]
	other := subs - accepted - refused
	during := readMemory()
	t.Logf("before: %v; with %d subscriptions asked on one connection: %v", before, subs, during)
	if accepted != limit || refused != subs-limit || other != 0 {
		t.Fatalf("accepted %d, refused %d, other %d; want %d, %d, 0", accepted, refused, other, limit, subs-limit)
	}
	if got := e.srv.Stats().Subscriptions; got != int64(limit) {
		t.Fatalf("live subscriptions %d, want %d", got, limit)
	}
	// Each live subscription costs about three goroutines; the bound leaves
	// room for the connection's own and the test's.
	if during.goroutines > before.goroutines+uint64(4*limit)+50 {
		t.Fatalf("goroutines grew from %d to %d", before.goroutines, during.goroutines)
	}
	if during.heap+during.stacks > before.heap+before.stacks+64<<20 {
		t.Fatalf("memory grew from %v to %v", before, during)
	}
	// The server goes on: another client is served.
	if _, r := e.post("", "sov_chainInfo"); r.Error != nil {
		t.Fatalf("after the flood: %+v", r.Error)
	}
	c.Close()
	eventually(t, "subscriptions released", func() bool { return e.srv.Stats().Subscriptions == 0 })
	eventually(t, "goroutines released", func() bool { return readMemory().goroutines <= before.goroutines+20 })
}

// TestSubscriptionLimitTotal: the node-wide cap holds across connections,
// and unsubscribing frees a place.
func TestSubscriptionLimitTotal(t *testing.T) {
	e := startEdge(t, rpc.Config{MaxSubscriptions: 3, MaxSubscriptionsTotal: 5})
	a, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var codes []string
	var first response
	for i, c := range []*websocket.Conn{a, a, a, a, b, b, b} {
		r := wsCall(t, c, i, "sov_subscribe", "newFinalBlocks")
		if i == 0 {
			first = r
		}
		codes = append(codes, dataCode(r))
	}
	want := []string{"", "", "", rpc.ErrCodeTooManySubs, "", "", rpc.ErrCodeTooManySubs}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("codes %q, want %q", codes, want)
	}
	var id string
	if err := json.Unmarshal(first.Result, &id); err != nil {
		t.Fatal(err)
	}
	if r := wsCall(t, a, 10, "sov_unsubscribe", id); r.Error != nil {
		t.Fatalf("unsubscribe: %+v", r.Error)
	}
	eventually(t, "a place freed", func() bool { return e.srv.Stats().Subscriptions == 4 })
	if r := wsCall(t, b, 11, "sov_subscribe", "newFinalBlocks"); r.Error != nil {
		t.Fatalf("after an unsubscribe: %+v", r.Error)
	}
}

// TestCrossOriginRefused: a browser from another origin is refused at the
// WebSocket handshake (403, origin_not_allowed); the server's own origin, a
// configured origin and a client without Origin are served.
func TestCrossOriginRefused(t *testing.T) {
	e := startEdge(t, rpc.Config{AllowedOrigins: []string{"https://wallet.bank.example", "https://*.ops.example"}})
	for origin, ok := range map[string]bool{
		"":                            true,
		e.url:                         true, // same origin
		"https://wallet.bank.example": true,
		"https://a.ops.example":       true,
		"https://evil.example":        false,
		"https://wallet.bank.example.evil.example": false,
		"null": false,
	} {
		c, resp, err := e.dialWS("", origin)
		if ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", origin, err)
				continue
			}
			if r := wsCall(t, c, 1, "sov_chainInfo"); r.Error != nil {
				t.Errorf("origin %q: %+v", origin, r.Error)
			}
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("origin %q accepted", origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v, want HTTP 403", origin, err)
			continue
		}
		var r response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || dataCode(r) != rpc.ErrCodeOriginNotAllowed {
			t.Errorf("origin %q: body %+v (%v), want code %s", origin, r.Error, err, rpc.ErrCodeOriginNotAllowed)
		}
	}
	if got := e.srv.Stats().OriginRefused; got != 3 {
		t.Errorf("origin refusals counted: %d, want 3", got)
	}
}

// TestRateLimit: past the burst an HTTP client gets 429 with rate_limited,
// a batch costs one token per call, a WebSocket client gets the JSON-RPC
// error and keeps its connection, and another client address is not
// affected.
func TestRateLimit(t *testing.T) {
	e := startEdge(t, rpc.Config{RequestRate: 0.001, RequestBurst: 5})
	for i := range 5 {
		if status, r := e.post("", "sov_chainInfo"); status != http.StatusOK || r.Error != nil {
			t.Fatalf("call %d within the burst: HTTP %d %+v", i, status, r.Error)
		}
	}
	status, r := e.post("", "sov_chainInfo")
	if status != http.StatusTooManyRequests || dataCode(r) != rpc.ErrCodeRateLimited || r.Error.Code != rpc.CodeLimited {
		t.Fatalf("past the burst: HTTP %d %+v", status, r.Error)
	}

	// Another address (127.0.0.2 is loopback too) has its own bucket; a
	// batch of 6 is more than its burst.
	other := startEdge(t, rpc.Config{RequestRate: 0.001, RequestBurst: 5})
	batch := `[` + strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]},`, 5) + `{"jsonrpc":"2.0","id":2,"method":"sov_chainInfo","params":[]}]`
	req, _ := http.NewRequest(http.MethodPost, other.url, strings.NewReader(batch))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("batch of 6 with a burst of 5: HTTP %d", resp.StatusCode)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	req, _ = http.NewRequest(http.MethodPost, e.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := client.Do(req); err != nil {
		t.Logf("cannot dial from 127.0.0.2 (%v): per-address buckets not checked", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("another address: HTTP %d", resp.StatusCode)
		}
	}

	ws := startEdge(t, rpc.Config{RequestRate: 0.001, RequestBurst: 4})
	c, _, err := ws.dialWS("", "") // the handshake takes one token
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var codes []string
	for i := range 5 {
		codes = append(codes, dataCode(wsCall(t, c, i, "sov_chainInfo")))
	}
	if want := ",,," + rpc.ErrCodeRateLimited + "," + rpc.ErrCodeRateLimited; strings.Join(codes, ",") != want {
		t.Fatalf("WebSocket calls: %q, want %q", strings.Join(codes, ","), want)
	}
}

// TestConnectionFlood: thousands of connections from one address get no
// more than MaxConnsPerIP; connections from many addresses get no more than
// MaxConns; the others are refused with 503, memory stays bounded, and the
// server serves again once the flood ends.
func TestConnectionFlood(t *testing.T) {
	const perIP, total, conns = 40, 100, 3000
	e := startEdge(t, rpc.Config{MaxConnsPerIP: perIP, MaxConns: total, RequestRate: -1})
	addr := strings.TrimPrefix(e.url, "http://")
	before := readMemory()

	one := flood.Connections(addr, nil, conns, "sov_chainInfo")
	t.Logf("from one address: %d open, %d refused with 503, %d closed unanswered", len(one.Open), one.Refused503, one.Closed)
	if len(one.Open) != perIP || one.Refused503+one.Closed != conns-perIP || one.Refused503 == 0 {
		t.Fatalf("from one address: %d open (want %d), %d refused, %d closed", len(one.Open), perIP, one.Refused503, one.Closed)
	}
	all, manyAddrs := one.Open, true
	for i := 2; i < 10; i++ { // 127.0.0.2 ... 127.0.0.9
		more := flood.Connections(addr, net.IPv4(127, 0, 0, byte(i)), perIP, "sov_chainInfo")
		if len(more.Open) == 0 && more.Refused503 == 0 {
			t.Logf("cannot dial from 127.0.0.%d: the total limit is not reached", i)
			manyAddrs = false
			break
		}
		all = append(all, more.Open...)
	}
	during := readMemory()
	t.Logf("before: %v; during the flood (%d open): %v", before, len(all), during)
	if len(all) > total || e.srv.Stats().Conns > total || manyAddrs && len(all) != total {
		t.Fatalf("%d connections open (server counts %d), limit %d", len(all), e.srv.Stats().Conns, total)
	}
	if during.heap > before.heap+64<<20 {
		t.Fatalf("heap grew from %v to %v", before, during)
	}
	for _, c := range all {
		c.Close()
	}
	eventually(t, "connections released", func() bool { return e.srv.Stats().Conns == 0 })
	if _, r := e.post("", "sov_chainInfo"); r.Error != nil {
		t.Fatalf("after the flood: %+v", r.Error)
	}
}

// firehose is a backend whose chain finalises a block every time it is
// asked: a subscriber is sent block after block as fast as it can take them.
type firehose struct {
	rpc.Backend
	final atomic.Uint64
}

func (f *firehose) Info() rpc.ChainStatus {
	st := f.Backend.Info()
	st.FinalHeight = f.final.Add(1)
	return st
}
func (f *firehose) WaitFinal(ctx context.Context, h uint64) error { return ctx.Err() }
func (f *firehose) BlockByNumber(uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error) {
	return f.Backend.BlockByNumber(0)
}

// TestSlowSubscriberDropped: a subscriber that stops reading is dropped
// once a write to it stalls past WriteTimeout, with what was buffered for
// it bounded by the socket buffers, and the server goes on.
func TestSlowSubscriberDropped(t *testing.T) {
	b, fx := edgeBackend(t)
	e := startEdgeOver(t, &firehose{Backend: b}, fx, rpc.Config{WriteTimeout: 300 * time.Millisecond})
	before := readMemory()
	c, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "sov_subscribe", "params": []any{"newFinalBlocks"}}); err != nil {
		t.Fatal(err)
	}
	// ... and never read.
	eventually(t, "the slow subscriber dropped", func() bool { return e.srv.Stats().SlowDropped == 1 })
	eventually(t, "its subscription released", func() bool {
		st := e.srv.Stats()
		return st.Subscriptions == 0 && st.WebsocketConns == 0 && st.Conns == 0
	})
	after := readMemory()
	t.Logf("before: %v; after dropping the slow subscriber: %v", before, after)
	if after.heap > before.heap+64<<20 {
		t.Fatalf("heap grew from %v to %v", before, after)
	}
	if _, r := e.post("", "sov_chainInfo"); r.Error != nil {
		t.Fatalf("after the drop: %+v", r.Error)
	}
}

// TestWebsocketBehindRewrite: mounted behind a handler that rewrites
// r.RemoteAddr (as a proxy-header middleware does), a WebSocket's calls
// still find their connection: subscriptions work and are counted.
func TestWebsocketBehindRewrite(t *testing.T) {
	b, _ := edgeBackend(t)
	srv := rpc.NewServer(b)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = "192.0.2.1:9"
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()
	defer srv.Close()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := wsCall(t, c, 1, "sov_subscribe", "newFinalBlocks"); r.Error != nil {
		t.Fatalf("subscription behind a rewrite: %+v", r.Error)
	}
	if got := srv.Stats().Subscriptions; got != 1 {
		t.Fatalf("live subscriptions %d, want 1", got)
	}
}
