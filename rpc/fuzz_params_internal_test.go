package rpc

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// FuzzBearer: whatever the Authorization header, bearer does not panic; a
// token it accepts is non-empty, has no surrounding space, and comes back
// the same from the canonical "Bearer TOKEN" header; a refusal is
// ErrTokenInvalid.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"", "Bearer abc", "bearer  abc ", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "\x00", "Bearer \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
		r.Header["Authorization"] = []string{header}
		tok, ok, err := bearer(r)
		switch {
		case err != nil:
			if ok || tok != "" {
				t.Fatalf("refused header %q, yet returned %q %v", header, tok, ok)
			}
			return
		case !ok:
			if header != "" {
				t.Fatalf("header %q neither refused nor read", header)
			}
			return
		}
		if tok == "" || tok != strings.TrimSpace(tok) {
			t.Fatalf("header %q gave token %q", header, tok)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		if again, ok, err := bearer(r); again != tok || !ok || err != nil {
			t.Fatalf("token %q read back as %q %v %v", tok, again, ok, err)
		}
	})
}

// FuzzRequestParams decodes arbitrary JSON into the list and range
// parameters the RPC takes, as the server does: no panic, and whatever
// decodes is judged consistently: a role parses back to itself, an escrow
// status back to its name, and a bank range that is accepted is not empty.
func FuzzRequestParams(f *testing.F) {
	for _, s := range []string{
		`{"bank":"0x00000000000000000000000000000000000000b1","from":3,"to":9}`,
		`{"bank":"0x00000000000000000000000000000000000000b1","from":9,"to":3}`,
		`{"account":"0x00000000000000000000000000000000000a11ce","status":"open","limit":5}`,
		`{"status":"expired","limit":-1}`, `{"from":18446744073709551615}`, `null`, `[]`, `{"role":"admin"}`,
	} {
		f.Add([]byte(s), uint64(10))
	}
	f.Fuzz(func(t *testing.T, raw []byte, head uint64) {
		var r BankRange
		if json.Unmarshal(raw, &r) == nil {
			if from, to, err := r.bounds(head); err == nil && from > to {
				t.Fatalf("%s: accepted the empty range %d..%d", raw, from, to)
			}
		}
		var q EscrowList
		if json.Unmarshal(raw, &q) == nil && q.Status != "" {
			if s, ok := chain.ParseEscrowStatus(q.Status); ok && s.String() != q.Status {
				t.Fatalf("status %q parsed as %s", q.Status, s)
			}
		}
		var role struct{ Role string }
		if json.Unmarshal(raw, &role) == nil {
			if r, err := ParseRole(role.Role); err == nil && string(r) != role.Role {
				t.Fatalf("role %q parsed as %q", role.Role, r)
			}
		}
	})
}
