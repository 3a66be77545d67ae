package rpc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/gorilla/websocket"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// The edge tests (limits, access control) run real HTTP and WebSocket
// servers on loopback over an rpc.Backend. edgeBackend is the only place
// they name a particular backend: porting them to another backend means
// changing that function alone.

// fixture names the records the edge tests use. Alice and Bob are customers
// of Bank; OtherBank services neither. Escrow and Payout are Alice's (Carol,
// unregistered, is the escrow's payee: Bob is no party to either).
type fixture struct {
	Alice, Bob, Bank, OtherBank common.Address
	Escrow, Payout              common.Hash
	Card                        common.Address // alice's purchase sub-account
	Approval                    common.Hash    // alice's payment waiting for bob, her supervisor
}

var testSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes: insecure, tests only

// accessLedger is a fixed escrow ledger (escrow_test.go's stub) with one payout.
type accessLedger struct {
	escrowStub
	p *chain.Payout
}

func (l accessLedger) Payout(id common.Hash) (*chain.Payout, bool, error) {
	return l.p, id == l.p.ID, nil
}

// accessBackend is the real in-memory chain whose escrow and payout lookups
// answer the fixture's records.
type accessBackend struct {
	*nodetest.Chain
	l accessLedger
}

func (b accessBackend) Escrow(id common.Hash) (*chain.Escrow, bool, error) { return b.l.Escrow(id) }
func (b accessBackend) Payout(id common.Hash) (*chain.Payout, bool, error) { return b.l.Payout(id) }

// The fixture's sub-account and waiting payment, beside the chain's own.
var (
	fixtureCard     = common.HexToAddress("0x000000000000000000000000000000000000ca4d")
	fixtureApproval = common.Hash{0xa9}
)

func (b accessBackend) SubAccount(a common.Address) (*chain.SubAccount, bool, error) {
	if a == fixtureCard {
		return &chain.SubAccount{Main: nodetest.Addr(nodetest.DevKey("alice"))}, true, nil
	}
	return b.Chain.SubAccount(a)
}

func (b accessBackend) Approval(id common.Hash) (*chain.Approval, bool, error) {
	if id == fixtureApproval {
		return &chain.Approval{ID: id, Payer: nodetest.Addr(nodetest.DevKey("alice")), Supervisor: nodetest.Addr(nodetest.DevKey("bob")),
			Asset: "CNY", Amount: 1, Status: chain.ApprovalAwaiting}, true, nil
	}
	return b.Chain.Approval(id)
}

// edgeBackend builds the backend and fixture of the edge tests.
func edgeBackend(t testing.TB) (rpc.Backend, fixture) {
	t.Helper()
	c, keys := nodetest.New()
	fx := fixture{
		Alice: nodetest.Addr(keys.Alice), Bob: nodetest.Addr(keys.Bob), Bank: nodetest.Addr(keys.Bank),
		OtherBank: common.HexToAddress("0x00000000000000000000000000000000000b0b0b"),
		Escrow:    common.Hash{0xe5}, Payout: common.Hash{0x9a}, Card: fixtureCard, Approval: fixtureApproval,
	}
	if fx.Alice != nodetest.Addr(nodetest.DevKey("alice")) || fx.Bob != nodetest.Addr(nodetest.DevKey("bob")) {
		t.Fatal("nodetest's alice and bob are no longer DevKey(\"alice\") and DevKey(\"bob\")")
	}
	e := &chain.Escrow{ID: fx.Escrow, Payer: fx.Alice, Payee: nodetest.Addr(keys.Carol), Asset: "CNY", Amount: 100,
		Expiry: 90_000, Status: chain.EscrowOpen, Track: chain.BankTrack{Bank: fx.Bank}}
	p := &chain.Payout{ID: fx.Payout, Account: fx.Alice, Asset: "CNY", Amount: 5, Track: chain.BankTrack{Bank: fx.Bank}}
	return accessBackend{Chain: c, l: accessLedger{escrowStub: escrowStub{e}, p: p}}, fx
}

// edgeEnv is a server on a loopback listener through Serve (so the
// connection limits apply).
type edgeEnv struct {
	t   testing.TB
	srv *rpc.Server
	url string // http://127.0.0.1:PORT
	ws  string // ws://127.0.0.1:PORT
	fx  fixture
}

func startEdge(t testing.TB, cfg rpc.Config) *edgeEnv {
	t.Helper()
	b, fx := edgeBackend(t)
	return startEdgeOver(t, b, fx, cfg)
}

func startEdgeOver(t testing.TB, b rpc.Backend, fx fixture, cfg rpc.Config) *edgeEnv {
	t.Helper()
	srv := rpc.NewServer(b, rpc.WithConfig(cfg))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := ln.Addr().String()
	return &edgeEnv{t: t, srv: srv, url: "http://" + addr, ws: "ws://" + addr, fx: fx}
}

// token mints a token valid for an hour.
func token(t testing.TB, role rpc.Role, subject common.Address) string {
	t.Helper()
	tok, err := rpc.MintToken(testSecret, rpc.Claims{Role: role, Subject: subject, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// post sends one JSON-RPC call with an optional bearer token and returns
// the HTTP status and the decoded response.
func (e *edgeEnv) post(tok, method string, params ...any) (int, response) {
	e.t.Helper()
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.postRaw(tok, string(body))
}

func (e *edgeEnv) postRaw(tok, body string) (int, response) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("%s: not a JSON-RPC response (HTTP %d): %s", body, resp.StatusCode, raw)
	}
	return resp.StatusCode, r
}

// dataCode is the string code in a response's error data ("" without error).
func dataCode(r response) string {
	if r.Error == nil {
		return ""
	}
	var d rpc.ErrorData
	json.Unmarshal(r.Error.Data, &d)
	return d.Code
}

// dialWS opens a raw WebSocket with an optional token and Origin.
func (e *edgeEnv) dialWS(tok, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	return d.Dial(e.ws, h)
}

// client dials the go-ethereum client over WebSocket with a token.
func (e *edgeEnv) client(tok string) *gethrpc.Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var opts []gethrpc.ClientOption
	if tok != "" {
		opts = append(opts, gethrpc.WithHeader("Authorization", "Bearer "+tok))
	}
	c, err := gethrpc.DialOptions(ctx, e.ws, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	return c
}

// wsCall writes one call on a raw WebSocket and reads its response,
// skipping notifications.
func wsCall(t testing.TB, c *websocket.Conn, id int, method string, params ...any) response {
	t.Helper()
	if params == nil {
		params = []any{}
	}
	if err := c.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		t.Fatal(err)
	}
	for {
		var r response
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.ReadJSON(&r); err != nil {
			t.Fatalf("%s: read response: %v", method, err)
		}
		if string(r.ID) == fmt.Sprint(id) {
			return r
		}
	}
}
