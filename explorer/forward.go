package explorer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// allowedMethods are what the page may call: read-only queries. Nothing
// that submits a transaction passes the explorer.
var allowedMethods = map[string]bool{
	"sov_chainInfo": true, "sov_genesis": true, "sov_getBlockByNumber": true, "sov_getTransaction": true,
	"sov_keyPath": true, "sov_getEscrow": true, "sov_getBank": true,
	"sov_subscribe": true, "sov_unsubscribe": true,
}

// accountMethods reveal an account's holdings or history; they pass only
// when the visitor may see accounts.
var accountMethods = map[string]bool{
	"sov_getAccount": true, "sov_accountHistory": true, "sov_listEscrows": true, "sov_getProof": true,
	"sov_getPayout": true, "sov_listPayouts": true, "sov_reconciliation": true,
	"sov_getRequest": true, "sov_listRequests": true, // a request names its payer and merchant
}

// subscriptions the page may open; accountEvents only with accounts visible.
var subscriptions = map[string]bool{"newFinalBlocks": false, "accountEvents": true}

// maxBody bounds one forwarded request or WebSocket message (the node's own limit).
const maxBody = 1 << 20

type call struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// refusal is why a call may not pass, "" when it may.
func refusal(c call, accounts bool) string {
	if accountMethods[c.Method] {
		if accounts {
			return ""
		}
		return fmt.Sprintf("%s: account pages are hidden from anonymous visitors", c.Method)
	}
	if !allowedMethods[c.Method] {
		return fmt.Sprintf("%s is not available through the explorer", c.Method)
	}
	if c.Method == "sov_subscribe" {
		var name string
		if len(c.Params) > 0 {
			json.Unmarshal(c.Params[0], &name)
		}
		needsAccounts, ok := subscriptions[name]
		if !ok {
			return fmt.Sprintf("subscription %q is not available through the explorer", name)
		}
		if needsAccounts && !accounts {
			return "account events are hidden from anonymous visitors"
		}
	}
	return ""
}

// checkCalls decodes a request (one call or a batch) and returns the first
// refusal, or "".
func checkCalls(body []byte, accounts bool) (string, json.RawMessage) {
	body = bytes.TrimSpace(body)
	var calls []call
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &calls); err != nil {
			return "malformed batch: " + err.Error(), nil
		}
	} else {
		var c call
		if err := json.Unmarshal(body, &c); err != nil {
			return "malformed call: " + err.Error(), nil
		}
		calls = []call{c}
	}
	for _, c := range calls {
		if why := refusal(c, accounts); why != "" {
			return why, c.ID
		}
	}
	return "", nil
}

// errorReply is a JSON-RPC error the forwarder answers itself (data.code
// "forbidden").
func errorReply(id json.RawMessage, why string) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	out, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": -32601, "message": why, "data": map[string]string{"code": "forbidden"}}})
	return out
}

type forwarder struct {
	upstream *url.URL
	client   *http.Client
}

func (f *forwarder) serveHTTP(w http.ResponseWriter, r *http.Request, accounts bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if why, id := checkCalls(body, accounts); why != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write(errorReply(id, why))
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, f.upstream.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		http.Error(w, "node unreachable: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// warm asks the node for the key's path once, in the background, so that
// the node's walk of the seeds from genesis (once per node process; see
// rpc.API.KeyPath) is done before the first visitor's page asks.
func (f *forwarder) warm() {
	body := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"sov_keyPath","params":[64]}`)
	req, err := http.NewRequest(http.MethodPost, f.upstream.String(), body)
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if resp, err := f.client.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

var upgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096} // same-origin only (the default check)

// serveWS joins the browser's WebSocket to one on the node, passing the
// browser's messages through the same check as HTTP calls; a refused call
// is answered with an error and the connection stays open.
func (f *forwarder) serveWS(w http.ResponseWriter, r *http.Request, accounts bool) {
	wsURL := *f.upstream
	wsURL.Scheme = strings.Replace(wsURL.Scheme, "http", "ws", 1)
	up, _, err := websocket.DefaultDialer.DialContext(r.Context(), wsURL.String(), nil)
	if err != nil {
		http.Error(w, "node unreachable: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	down, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	defer down.Close()
	down.SetReadLimit(maxBody)
	var mu sync.Mutex // one writer at a time on down
	send := func(kind int, msg []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return down.WriteMessage(kind, msg)
	}
	done := make(chan struct{})
	go func() { // node → browser
		defer close(done)
		for {
			kind, msg, err := up.ReadMessage()
			if err != nil {
				down.Close()
				return
			}
			if send(kind, msg) != nil {
				return
			}
		}
	}()
	for { // browser → node
		_, msg, err := down.ReadMessage()
		if err != nil {
			break
		}
		if why, id := checkCalls(msg, accounts); why != "" {
			if send(websocket.TextMessage, errorReply(id, why)) != nil {
				break
			}
			continue
		}
		if up.WriteMessage(websocket.TextMessage, msg) != nil {
			break
		}
	}
	up.Close()
	<-done
}
