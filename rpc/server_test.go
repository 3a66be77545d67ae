package rpc_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

type env struct {
	t    *testing.T
	c    *nodetest.Chain
	keys nodetest.Keys
	url  string
}

func newEnv(t *testing.T, opts ...rpc.Option) *env {
	t.Helper()
	c, keys := nodetest.New()
	srv := rpc.NewServer(c, opts...)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &env{t: t, c: c, keys: keys, url: hs.URL}
}

// response is a JSON-RPC response as it travels.
type response struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func (e *env) post(body string) (int, []byte) {
	e.t.Helper()
	resp, err := http.Post(e.url, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// call makes one call and decodes the response.
func (e *env) call(method string, params ...any) response {
	e.t.Helper()
	if params == nil {
		params = []any{}
	}
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		e.t.Fatal(err)
	}
	_, body := e.post(string(req))
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		e.t.Fatalf("%s: response is not JSON-RPC: %v: %s", method, err, body)
	}
	return r
}

// result calls method and decodes the result into out, failing on error.
func (e *env) result(out any, method string, params ...any) {
	e.t.Helper()
	r := e.call(method, params...)
	if r.Error != nil {
		e.t.Fatalf("%s: error %d %s %s", method, r.Error.Code, r.Error.Message, r.Error.Data)
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		e.t.Fatalf("%s: decode result: %v: %s", method, err, r.Result)
	}
}

// fails calls method and checks the numeric and string error codes.
func (e *env) fails(num int, code string, method string, params ...any) response {
	e.t.Helper()
	r := e.call(method, params...)
	if r.Error == nil {
		e.t.Fatalf("%s: want error %d, got result %s", method, num, r.Result)
	}
	if r.Error.Code != num {
		e.t.Fatalf("%s: error code %d (%s), want %d", method, r.Error.Code, r.Error.Message, num)
	}
	if code != "" {
		var d rpc.ErrorData
		if err := json.Unmarshal(r.Error.Data, &d); err != nil || d.Code != code {
			e.t.Fatalf("%s: error data %s, want code %q", method, r.Error.Data, code)
		}
	}
	return r
}

func (e *env) signed(key *ecdsa.PrivateKey, nonce uint64, body chain.Body) *chain.Tx {
	e.t.Helper()
	tx := chain.NewTx(nodetest.ChainID, nonce, body)
	if err := tx.Sign(key); err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func (e *env) send(tx *chain.Tx) common.Hash {
	e.t.Helper()
	var h common.Hash
	e.result(&h, "sov_sendRawTransaction", hexutil.Encode(tx.Bytes()))
	if h != tx.Hash() {
		e.t.Fatalf("hash %s, want %s", h, tx.Hash())
	}
	return h
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		body string
		want int
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":`, -32700},
		{"not an object", `42`, -32600},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"sov_nope","params":[]}`, -32601},
		{"unknown namespace", `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`, -32601},
		{"wrong param type", `{"jsonrpc":"2.0","id":1,"method":"sov_getTransaction","params":[42]}`, -32602},
		{"bad address", `{"jsonrpc":"2.0","id":1,"method":"sov_getAccount","params":["0x1234"]}`, -32602},
		{"bad block ref", `{"jsonrpc":"2.0","id":1,"method":"sov_getBlockByNumber","params":["tomorrow"]}`, -32602},
		{"missing param", `{"jsonrpc":"2.0","id":1,"method":"sov_getTransaction","params":[]}`, -32602},
		{"too many params", `{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[1,2]}`, -32602},
		{"bad raw hex", `{"jsonrpc":"2.0","id":1,"method":"sov_sendRawTransaction","params":["0xzz"]}`, -32602},
		{"unknown proof member", `{"jsonrpc":"2.0","id":1,"method":"sov_getProof","params":[{"escrow":"0x01"}]}`, -32602},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, body := e.post(tc.body)
			var r response
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			if r.Error == nil || r.Error.Code != tc.want {
				t.Fatalf("got %s, want error %d", body, tc.want)
			}
		})
	}
}

func TestOversizedAndContentType(t *testing.T) {
	e := newEnv(t, rpc.WithConfig(rpc.Config{BodyLimit: 4096, BatchItems: 3}))
	big := `{"jsonrpc":"2.0","id":1,"method":"sov_sendRawTransaction","params":["0x` + strings.Repeat("00", 4096) + `"]}`

	check := func(t *testing.T, resp *http.Response, status, code int) {
		t.Helper()
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
		}
		var r response
		if err := json.Unmarshal(body, &r); err != nil || r.Error == nil || r.Error.Code != code {
			t.Fatalf("want JSON-RPC error %d, got %s", code, body)
		}
	}
	t.Run("content-length", func(t *testing.T) {
		resp, err := http.Post(e.url, "application/json", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp, http.StatusRequestEntityTooLarge, rpc.CodeTooLarge)
	})
	t.Run("chunked", func(t *testing.T) {
		// An io.Reader of unknown length makes the client send chunked.
		resp, err := http.Post(e.url, "application/json", io.MultiReader(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp, http.StatusRequestEntityTooLarge, rpc.CodeTooLarge)
	})
	t.Run("content type", func(t *testing.T) {
		resp, err := http.Post(e.url, "text/plain", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp, http.StatusUnsupportedMediaType, -32600)
	})
	t.Run("batch limit", func(t *testing.T) {
		one := `{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]}`
		_, body := e.post("[" + strings.Repeat(one+",", 3) + one + "]")
		if !bytes.Contains(body, []byte("batch too large")) {
			t.Fatalf("batch over the limit: %s", body)
		}
		_, body = e.post("[" + one + "," + one + "]")
		var rs []response
		if err := json.Unmarshal(body, &rs); err != nil || len(rs) != 2 || rs[0].Error != nil {
			t.Fatalf("batch within the limit: %s", body)
		}
	})
}

func TestSendAndGetTransaction(t *testing.T) {
	e := newEnv(t)
	alice, bob := nodetest.Addr(e.keys.Alice), nodetest.Addr(e.keys.Bob)

	tx := e.signed(e.keys.Alice, 0, chain.Transfer{To: bob, Asset: "CNY", Amount: 1234})
	hash := e.send(tx)

	var got rpc.Transaction
	e.result(&got, "sov_getTransaction", hash)
	if got.Status != "pending" || got.Height != nil || got.Receipt != nil {
		t.Fatalf("pending tx: %+v", got)
	}
	e.c.Seal()
	e.result(&got, "sov_getTransaction", hash)
	if got.Status != "final" || got.Code != "" || *got.Height != 1 || *got.Index != 0 || got.Receipt == nil || !got.Receipt.OK {
		t.Fatalf("final tx: %+v", got)
	}
	if got.Type != "transfer" || *got.Sender != alice || *got.Nonce != 0 || got.Body.Amount != "12.34" || *got.Body.AmountUnits != 1234 || *got.Body.To != bob || got.Body.Asset != "CNY" {
		t.Fatalf("decoded tx: %+v body %+v", got, got.Body)
	}

	// Raw JSON keeps snake_case names and amount units as strings.
	r := e.call("sov_getTransaction", hash)
	for _, want := range []string{`"amount":"12.34"`, `"amount_units":"1234"`, `"status":"final"`, `"tx_hash"`} {
		if !bytes.Contains(r.Result, []byte(want)) {
			t.Errorf("result lacks %s: %s", want, r.Result)
		}
	}

	// Admission rejection: a JSON-RPC error carrying the rejection code and hash.
	over := e.signed(e.keys.Alice, 1, chain.Transfer{To: bob, Asset: "CNY", Amount: 1_000_000})
	r = e.fails(rpc.CodeRejected, "insufficient_funds", "sov_sendRawTransaction", hexutil.Encode(over.Bytes()))
	var data rpc.ErrorData
	json.Unmarshal(r.Error.Data, &data)
	if data.Hash == nil || *data.Hash != over.Hash() {
		t.Fatalf("rejection data %s lacks the hash %s", r.Error.Data, over.Hash())
	}
	e.result(&got, "sov_getTransaction", over.Hash())
	if got.Status != "rejected" || got.Code != "insufficient_funds" {
		t.Fatalf("rejected tx: %+v", got)
	}

	// Decoding failures are rejections too.
	e.fails(rpc.CodeRejected, "malformed", "sov_sendRawTransaction", "0x0102")
	e.fails(rpc.CodeRejected, "too_large", "sov_sendRawTransaction", hexutil.Encode(make([]byte, chain.MaxTxBytes+1)))
	wrong := chain.NewTx("other-chain", 1, chain.Transfer{To: bob, Asset: "CNY", Amount: 1})
	wrong.Sign(e.keys.Alice)
	e.fails(rpc.CodeRejected, "wrong_chain", "sov_sendRawTransaction", hexutil.Encode(wrong.Bytes()))
	e.fails(rpc.CodeRejected, "already_known", "sov_sendRawTransaction", hexutil.Encode(tx.Bytes()))

	// Rejected by the ledger after admission (the pool does not look up
	// recipients): the receipt carries the code.
	a := e.signed(e.keys.Alice, 1, chain.Transfer{To: bob, Asset: "CNY", Amount: 8})
	b := e.signed(e.keys.Alice, 2, chain.Transfer{To: nodetest.Addr(e.keys.Carol), Asset: "CNY", Amount: 8})
	e.send(a)
	e.send(b)
	e.c.Seal()
	e.result(&got, "sov_getTransaction", b.Hash())
	if got.Status != "rejected" || *got.Height != 2 || *got.Index != 1 || got.Code != "unknown_account" || got.Receipt.OK || got.Receipt.Code != "unknown_account" {
		t.Fatalf("tx rejected in block: %+v %+v", got, got.Receipt)
	}

	r = e.fails(rpc.CodeNotFound, rpc.ErrCodeTxNotFound, "sov_getTransaction", common.Hash{1})
	if !strings.Contains(r.Error.Message, "transaction not found") {
		t.Fatalf("message %q", r.Error.Message)
	}
}

func TestGetBlockByNumber(t *testing.T) {
	e := newEnv(t)
	bob := nodetest.Addr(e.keys.Bob)
	tx := e.signed(e.keys.Alice, 0, chain.Transfer{To: bob, Asset: "CNY", Amount: 5})
	e.send(tx)
	sealed := e.c.Seal()
	e.c.Seal()

	var b rpc.Block
	e.result(&b, "sov_getBlockByNumber", 1)
	if b.Height != 1 || b.Hash != sealed.Hash() || b.TxCount != 1 || len(b.Transactions) != 1 || b.Transactions[0] != tx.Hash() || len(b.Receipts) != 1 {
		t.Fatalf("block 1: %+v", b)
	}
	if b.StateRoot != sealed.Header.StateRoot || b.TxRoot != sealed.Header.TxRoot || b.Certificate == nil || b.Certificate.BlockHash != b.Hash || len(b.Certificate.Signatures) != 1 {
		t.Fatalf("block 1 header/certificate: %+v", b)
	}
	// The header's RLP is the canonical encoding: it hashes to the block hash.
	if crypto.Keccak256Hash(b.RLP) != b.Hash {
		t.Fatal("header rlp does not hash to the block hash")
	}
	for _, ref := range []any{"latest", "final", "0x2", "2"} {
		e.result(&b, "sov_getBlockByNumber", ref)
		if b.Height != 2 || b.LastCommit == nil || b.LastCommit.Height != 1 || b.ParentHash != sealed.Hash() {
			t.Fatalf("block %v: %+v", ref, b)
		}
	}
	e.result(&b, "sov_getBlockByNumber", 1, true)
	if len(b.FullTxs) != 1 || b.FullTxs[0].Hash != tx.Hash() || b.FullTxs[0].Status != "final" || b.FullTxs[0].Body.Amount != "0.05" {
		t.Fatalf("full block: %+v", b.FullTxs)
	}
	e.result(&b, "sov_getBlockByNumber", "earliest")
	if b.Height != 0 || b.Certificate != nil || b.LastCommit != nil {
		t.Fatalf("genesis block: %+v", b)
	}
	r := e.call("sov_getBlockByNumber", 0)
	for _, want := range []string{`"parent_hash"`, `"state_root"`, `"validators_hash"`, `"receipt_root"`, `"last_commit":null`, `"certificate":null`} {
		if !bytes.Contains(r.Result, []byte(want)) {
			t.Errorf("block JSON lacks %s: %s", want, r.Result)
		}
	}
	e.fails(rpc.CodeNotFound, rpc.ErrCodeBlockNotFound, "sov_getBlockByNumber", 99)
}

func TestGetAccount(t *testing.T) {
	e := newEnv(t)
	alice := nodetest.Addr(e.keys.Alice)
	var a rpc.Account
	e.result(&a, "sov_getAccount", alice)
	if a.Address != alice || a.Bank != nodetest.Addr(e.keys.Bank) || a.Nonce != 0 || len(a.Balances) != 3 {
		t.Fatalf("account: %+v", a)
	}
	if b := a.Balances[0]; b.Asset != "CNY" || b.Available != "100.00" || b.AvailableUnits != 10000 || b.Held != "0.00" || b.Locked != "0.00" || b.Decimals != 2 {
		t.Fatalf("CNY balance: %+v", b)
	}
	if b := a.Balances[2]; b.Asset != "JPY" || b.Available != "0" {
		t.Fatalf("JPY balance: %+v", b)
	}
	e.result(&a, "sov_getAccount", alice, "USD")
	if len(a.Balances) != 1 || a.Balances[0].Asset != "USD" || a.Balances[0].Available != "0.00" {
		t.Fatalf("USD only: %+v", a)
	}
	if a.PendingNonce != nil {
		t.Fatal("pending nonce reported with nothing waiting in the pool")
	}
	e.send(e.signed(e.keys.Alice, 0, chain.Transfer{To: nodetest.Addr(e.keys.Bob), Asset: "CNY", Amount: 1}))
	e.result(&a, "sov_getAccount", alice)
	if a.Nonce != 0 || a.PendingNonce == nil || *a.PendingNonce != 1 {
		t.Fatalf("pending nonce: %+v", a)
	}
	e.fails(rpc.CodeInvalidParams, rpc.ErrCodeInvalidParams, "sov_getAccount", alice, "XXX")
	e.fails(rpc.CodeNotFound, rpc.ErrCodeAccountNotFound, "sov_getAccount", nodetest.Addr(e.keys.Carol))
}

func verify(t *testing.T, root common.Hash, key []byte, nodes []hexutil.Bytes) []byte {
	t.Helper()
	db := memorydb.New()
	for _, n := range nodes {
		db.Put(crypto.Keccak256(n), n)
	}
	v, err := trie.VerifyProof(root, crypto.Keccak256(key), db)
	if err != nil {
		t.Fatalf("verify proof: %v", err)
	}
	return v
}

func TestGetProof(t *testing.T) {
	e := newEnv(t)
	alice := nodetest.Addr(e.keys.Alice)
	var p rpc.Proof
	e.result(&p, "sov_getProof", map[string]any{"account": alice})
	if !p.Exists || p.Account == nil || p.Account.Balances[0].Available != "100.00" || p.Header.Height != 0 || len(p.Nodes) == 0 {
		t.Fatalf("proof: %+v", p)
	}
	if v := verify(t, p.Header.StateRoot, chain.AccountKey(alice), p.Nodes); !bytes.Equal(v, *p.Value) {
		t.Fatalf("proved value %x, returned %x", v, p.Value)
	}
	if !bytes.Equal(p.Key, chain.AccountKey(alice)) || p.Path != crypto.Keccak256Hash(p.Key) {
		t.Fatalf("key/path: %x %s", p.Key, p.Path)
	}

	// Shorthand (a bare address) and a raw key give the same proof.
	var p2 rpc.Proof
	e.result(&p2, "sov_getProof", alice)
	if !bytes.Equal(*p2.Value, *p.Value) {
		t.Fatal("address shorthand differs")
	}
	e.result(&p2, "sov_getProof", map[string]any{"key": hexutil.Encode(chain.AccountKey(alice))})
	if !bytes.Equal(*p2.Value, *p.Value) || p2.Account != nil {
		t.Fatalf("raw key proof: %+v", p2)
	}

	// Absence is proved too.
	carol := nodetest.Addr(e.keys.Carol)
	e.result(&p2, "sov_getProof", map[string]any{"account": carol})
	if p2.Exists || p2.Value != nil || p2.Account != nil {
		t.Fatalf("absent account: %+v", p2)
	}
	if r := e.call("sov_getProof", carol); !bytes.Contains(r.Result, []byte(`"value":null`)) {
		t.Fatalf("absent value is not null: %s", r.Result)
	}
	if v := verify(t, p2.Header.StateRoot, chain.AccountKey(carol), p2.Nodes); v != nil {
		t.Fatalf("absent account proved %x", v)
	}

	// After a block the proof is against the new head, with its certificate.
	e.send(e.signed(e.keys.Alice, 0, chain.Transfer{To: nodetest.Addr(e.keys.Bob), Asset: "CNY", Amount: 1}))
	e.c.Seal()
	e.result(&p, "sov_getProof", alice)
	if p.Header.Height != 1 || p.Certificate == nil || p.Certificate.BlockHash != p.Header.Hash || p.Account.Nonce != 1 {
		t.Fatalf("proof at height 1: %+v", p)
	}
	e.fails(rpc.CodeInvalidParams, rpc.ErrCodeInvalidParams, "sov_getProof", map[string]any{})
	e.fails(rpc.CodeInvalidParams, rpc.ErrCodeInvalidParams, "sov_getProof", map[string]any{"account": alice, "key": "0x61"})
}

func TestChainInfoAndGenesis(t *testing.T) {
	e := newEnv(t)
	var ci rpc.ChainInfo
	e.result(&ci, "sov_chainInfo")
	g := e.c.Genesis()
	if ci.ChainID != nodetest.ChainID || ci.GenesisHash != genesisBlock(t, e).Hash || ci.FinalHeight != 0 || ci.Holder != nodetest.Addr(e.keys.Validator) ||
		len(ci.Validators) != 1 || ci.Validators[0].Name != "v0" || ci.Self != nil || len(ci.Assets) != 3 || ci.Assets[0].Symbol != "CNY" {
		t.Fatalf("chain info: %+v", ci)
	}
	if d, ok := ci.Decimals("JPY"); !ok || d != 0 {
		t.Fatal("decimals of JPY")
	}
	r := e.call("sov_chainInfo")
	if !bytes.Contains(r.Result, []byte(`"self":null`)) || !bytes.Contains(r.Result, []byte(`"final_height":0`)) {
		t.Fatalf("chain info JSON: %s", r.Result)
	}
	var gg chain.Genesis
	e.result(&gg, "sov_genesis")
	if gg.Hash() != g.Hash() {
		t.Fatal("genesis round trip changed its hash")
	}
}

func TestWaitTransaction(t *testing.T) {
	e := newEnv(t)
	tx := e.signed(e.keys.Alice, 0, chain.Transfer{To: nodetest.Addr(e.keys.Bob), Asset: "CNY", Amount: 1})
	e.send(tx)
	var got rpc.Transaction
	e.result(&got, "sov_waitTransaction", tx.Hash(), 10)
	if got.Status != "pending" {
		t.Fatalf("after a short timeout: %+v", got)
	}
	e.c.Seal()
	e.result(&got, "sov_waitTransaction", tx.Hash(), 5000)
	if got.Status != "final" {
		t.Fatalf("already final: %+v", got)
	}
	e.fails(rpc.CodeNotFound, rpc.ErrCodeTxNotFound, "sov_waitTransaction", common.Hash{2}, 10)
}

func TestWaitTransactionBlocks(t *testing.T) {
	e := newEnv(t)
	tx := e.signed(e.keys.Alice, 0, chain.Transfer{To: nodetest.Addr(e.keys.Bob), Asset: "CNY", Amount: 1})
	e.send(tx)
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		e.c.Seal()
	}()
	var got rpc.Transaction
	e.result(&got, "sov_waitTransaction", tx.Hash(), 5000)
	if got.Status != "final" || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("wait: %+v after %v", got, time.Since(start))
	}
}

func TestInternalErrors(t *testing.T) {
	e := newEnv(t)
	e.c.Fail(errors.New("disk on fire"))
	r := e.fails(rpc.CodeInternal, rpc.ErrCodeInternal, "sov_getAccount", nodetest.Addr(e.keys.Alice))
	if !strings.Contains(r.Error.Message, "disk on fire") {
		t.Fatalf("message %q", r.Error.Message)
	}
	e.fails(rpc.CodeInternal, rpc.ErrCodeInternal, "sov_getBlockByNumber", 0)
	e.fails(rpc.CodeInternal, rpc.ErrCodeInternal, "sov_getTransaction", common.Hash{})
}

func TestWebSocket(t *testing.T) {
	e := newEnv(t)
	ws := "ws" + strings.TrimPrefix(e.url, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := gethrpc.DialContext(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var ci rpc.ChainInfo
	if err := client.CallContext(ctx, &ci, "sov_chainInfo"); err != nil || ci.ChainID != nodetest.ChainID {
		t.Fatalf("chain info over ws: %v %+v", err, ci)
	}
	heads := make(chan rpc.Header, 4)
	sub, err := client.Subscribe(ctx, "sov", heads, "newFinalBlocks")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	e.c.Seal()
	e.c.Seal()
	for want := uint64(1); want <= 2; want++ {
		select {
		case h := <-heads:
			if h.Height != want {
				t.Fatalf("notified height %d, want %d", h.Height, want)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no notification")
		}
	}
	// Subscriptions need a connection: over HTTP they are refused cleanly.
	r := e.call("sov_subscribe", "newFinalBlocks")
	if r.Error == nil {
		t.Fatal("subscription over HTTP accepted")
	}
}

func TestServeAndClose(t *testing.T) {
	c, _ := nodetest.New()
	srv := rpc.NewServer(c)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	client, err := gethrpc.Dial("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var ci rpc.ChainInfo
	if err := client.Call(&ci, "sov_chainInfo"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
}

func genesisBlock(t *testing.T, e *env) rpc.Block {
	var b rpc.Block
	e.result(&b, "sov_getBlockByNumber", 0)
	return b
}
