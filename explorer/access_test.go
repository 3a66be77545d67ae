package explorer_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sovereign-ledger/sovereign/explorer"
	"github.com/sovereign-ledger/sovereign/node/devnode"
)

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
		Data    struct {
			Code string `json:"code"`
		} `json:"data"`
	} `json:"error"`
}

func post(t *testing.T, c *http.Client, url, body string) (int, reply) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r reply
	if body[0] == '{' {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s → %s: %v", body, raw, err)
		}
	} else {
		var rs []reply
		if err := json.Unmarshal(raw, &rs); err == nil && len(rs) > 0 {
			r = rs[0]
		} else if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s → %s: %v", body, raw, err)
		}
	}
	return resp.StatusCode, r
}

// TestForwarderAccess checks what the explorer passes to the node: read
// methods always, never a transaction, and account methods only when
// accounts are visible — to everyone by default; with hide-accounts, only
// to a visitor signed in with the token. Batches and the WebSocket get
// the same check.
func TestForwarderAccess(t *testing.T) {
	c := devnode.Start(t, t.TempDir(), nil)
	alice := devnode.Addr(devnode.Alice).Hex()
	open, err := explorer.Handler(explorer.Options{RPC: c.Node.RPCURL()})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := explorer.Handler(explorer.Options{RPC: c.Node.RPCURL(), HideAccounts: true, AccountToken: "let-me-in"})
	if err != nil {
		t.Fatal(err)
	}
	openSrv, hiddenSrv := httptest.NewServer(open), httptest.NewServer(hidden)
	defer openSrv.Close()
	defer hiddenSrv.Close()
	anon := http.DefaultClient
	jar, _ := cookiejar.New(nil)
	member := &http.Client{Jar: jar}

	getAccount := `{"jsonrpc":"2.0","id":7,"method":"sov_getAccount","params":["` + alice + `"]}`
	chainInfo := `{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]}`
	send := `{"jsonrpc":"2.0","id":2,"method":"sov_sendRawTransaction","params":["0x00"]}`
	batch := `[` + chainInfo + `,` + getAccount + `]`
	for _, tc := range []struct {
		name   string
		client *http.Client
		url    string
		body   string
		passes bool
	}{
		{"read method", anon, openSrv.URL, chainInfo, true},
		{"account, accounts shown", anon, openSrv.URL, getAccount, true},
		{"transaction never", anon, openSrv.URL, send, false},
		{"unknown method never", anon, openSrv.URL, `{"jsonrpc":"2.0","id":3,"method":"admin_peers","params":[]}`, false},
		{"read method, accounts hidden", anon, hiddenSrv.URL, chainInfo, true},
		{"account, hidden, anonymous", anon, hiddenSrv.URL, getAccount, false},
		{"history, hidden, anonymous", anon, hiddenSrv.URL, `{"jsonrpc":"2.0","id":4,"method":"sov_accountHistory","params":[{"account":"` + alice + `"}]}`, false},
		{"batch hiding an account call", anon, hiddenSrv.URL, batch, false},
		{"malformed", anon, openSrv.URL, `{"jsonrpc":`, false},
	} {
		code, r := post(t, tc.client, tc.url+"/rpc", tc.body)
		if tc.passes && (code != 200 || r.Error != nil) {
			t.Errorf("%s: refused (%d %+v)", tc.name, code, r.Error)
		}
		if !tc.passes && (code != http.StatusForbidden || r.Error == nil || r.Error.Data.Code != "forbidden") {
			t.Errorf("%s: passed or wrong refusal (%d %+v)", tc.name, code, r.Error)
		}
	}

	// config.json tells the page what to offer; the token signs a visitor in.
	if cfg := getJSON(t, anon, hiddenSrv.URL+"/config.json"); cfg["accounts"] || !cfg["login"] {
		t.Errorf("hidden explorer's config for anonymous visitors: %v", cfg)
	}
	if resp, _ := member.PostForm(hiddenSrv.URL+"/login", url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong token: status %d", resp.StatusCode)
	}
	if resp, _ := member.PostForm(hiddenSrv.URL+"/login", url.Values{"token": {"let-me-in"}}); resp.StatusCode != http.StatusNoContent {
		t.Errorf("right token: status %d", resp.StatusCode)
	}
	if cfg := getJSON(t, member, hiddenSrv.URL+"/config.json"); !cfg["accounts"] {
		t.Errorf("signed-in visitor's config: %v", cfg)
	}
	if code, r := post(t, member, hiddenSrv.URL+"/rpc", getAccount); code != 200 || r.Error != nil {
		t.Errorf("signed-in visitor refused an account: %d %+v", code, r.Error)
	}

	// WebSocket: newFinalBlocks passes and notifies; accountEvents is refused
	// to an anonymous visitor of the hidden explorer, and the socket stays up.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hiddenSrv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	ws.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"sov_subscribe","params":["accountEvents","`+alice+`"]}`))
	var r reply
	if err := ws.ReadJSON(&r); err != nil || r.Error == nil || r.Error.Data.Code != "forbidden" {
		t.Fatalf("accountEvents over the hidden explorer: %v %+v", err, r.Error)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":2,"method":"sov_subscribe","params":["newFinalBlocks"]}`))
	for got := 0; got < 2; got++ { // the subscription id, then a notification
		var msg map[string]any
		if err := ws.ReadJSON(&msg); err != nil {
			t.Fatalf("newFinalBlocks over the explorer: %v", err)
		}
		if msg["error"] != nil {
			t.Fatalf("newFinalBlocks refused: %v", msg)
		}
	}
}

func getJSON(t *testing.T, c *http.Client, url string) map[string]bool {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]bool
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
