package rpc

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// rpcNames lists the JSON-RPC names go-ethereum gives a receiver's exported
// methods: "sov_getAccount", or "sov_subscribe:accountEvents" for a method
// returning a subscription.
func rpcNames(receiver any) map[string]bool {
	subType := reflect.TypeOf((*gethrpc.Subscription)(nil))
	names := map[string]bool{}
	t := reflect.TypeOf(receiver)
	for i := range t.NumMethod() {
		m := t.Method(i)
		name := string(unicode.ToLower(rune(m.Name[0]))) + m.Name[1:]
		if m.Type.NumOut() > 0 && m.Type.Out(0) == subType {
			names[Namespace+"_subscribe:"+name] = true
		} else {
			names[Namespace+"_"+name] = true
		}
	}
	return names
}

// TestEveryMethodClassified fails when API gains a method that the guarded
// service does not serve or the access table does not classify, so no
// method reaches callers unclassified.
func TestEveryMethodClassified(t *testing.T) {
	api, guarded := rpcNames(&API{}), rpcNames(&guardedAPI{})
	for m := range api {
		if !guarded[m] {
			t.Errorf("API method %s has no guarded twin in guard.go", m)
		}
		if _, ok := methodAccess[m]; !ok {
			t.Errorf("API method %s is missing from methodAccess", m)
		}
	}
	for m := range guarded {
		if !api[m] {
			t.Errorf("guarded method %s serves nothing of API", m)
		}
	}
	for m := range methodAccess {
		if !api[m] {
			t.Errorf("methodAccess classifies %s, which API does not have", m)
		}
	}
}

// TestUnclassifiedRefused: a method missing from the table is refused even
// for admin.
func TestUnclassifiedRefused(t *testing.T) {
	s := &Server{edge: newEdge(&Config{}), cfg: Config{AuthSecret: []byte("x")}}
	err := s.authorize(&caller{claims: Claims{Role: RoleAdmin}}, "sov_somethingNew", nil)
	if err == nil || !strings.Contains(err.Error(), "not classified") {
		t.Fatalf("unclassified method: %v", err)
	}
	_ = context.Background()
}

// TestVerifiedTokenCacheExpires: a token verified (and cached) while valid
// is refused once it has expired, and a bad token is never cached.
func TestVerifiedTokenCacheExpires(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	tok, err := MintToken(secret, Claims{Role: RoleAdmin, Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e := newEdge(&Config{})
	if _, err := e.verify(secret, tok, now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(secret, tok, now.Add(2*time.Hour)); err == nil {
		t.Fatal("cached token accepted after its expiry")
	}
	if _, err := e.verify([]byte("another secret, 32 bytes long..."), tok+"x", now); err == nil || e.tokens.Contains(tok+"x") {
		t.Fatalf("bad token: %v, cached %v", err, e.tokens.Contains(tok+"x"))
	}
}
