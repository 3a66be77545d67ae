package rpc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// FuzzHandler feeds arbitrary request bodies to the HTTP handler: it must
// never panic and must always answer JSON (or nothing, for notifications).
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]}`,
		`{"jsonrpc":"2.0","id":1,"method":"sov_getBlockByNumber","params":["latest",true]}`,
		`{"jsonrpc":"2.0","id":1,"method":"sov_getProof","params":[{"account":"0x0000000000000000000000000000000000000001"}]}`,
		`{"jsonrpc":"2.0","id":1,"method":"sov_sendRawTransaction","params":["0xc0"]}`,
		`[{"jsonrpc":"2.0","id":1,"method":"sov_getAccount","params":["0x00"]}]`,
		`{"jsonrpc":"2.0","id":1,"method":"sov_waitTransaction","params":["0x00",0]}`,
		`{`, `[]`, `null`,
	} {
		f.Add(seed)
	}
	c, _ := nodetest.New()
	h := rpc.NewServer(c).Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out := strings.TrimSpace(rec.Body.String())
		if out != "" && !json.Valid([]byte(out)) {
			t.Fatalf("answer is not JSON: %q", out)
		}
	})
}

func FuzzBlockRef(f *testing.F) {
	for _, s := range []string{`1`, `"latest"`, `"0x10"`, `"12"`, `-1`, `"0x"`, `1.5`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r rpc.BlockRef
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return
		}
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back rpc.BlockRef
		if err := json.Unmarshal(raw, &back); err != nil || back != r {
			t.Fatalf("%s -> %s -> %+v (%v)", s, raw, back, err)
		}
	})
}

func FuzzProofQuery(f *testing.F) {
	for _, s := range []string{`"0x0000000000000000000000000000000000000001"`, `{"account":"0x0000000000000000000000000000000000000001"}`, `{"key":"0x61"}`, `{}`, `{"x":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var q rpc.ProofQuery
		_ = json.Unmarshal([]byte(s), &q)
	})
}
