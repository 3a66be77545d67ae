package wallet_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// TestDialWithToken: against a node with access control, a client dialled
// with alice's account token reads alice's account, over HTTP and
// WebSocket, and is refused bob's; without a token it is refused both.
func TestDialWithToken(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	c, keys := nodetest.New()
	srv := rpc.NewServer(c, rpc.WithConfig(rpc.Config{AuthSecret: secret}))
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	alice, bob := nodetest.Addr(keys.Alice), nodetest.Addr(keys.Bob)
	tok, err := rpc.MintToken(secret, rpc.Claims{Role: rpc.RoleAccount, Subject: alice, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	forbidden := func(err error) bool {
		var re *wallet.RPCError
		return errors.As(err, &re) && re.Code == rpc.ErrCodeForbidden
	}
	for _, url := range []string{hs.URL, "ws" + strings.TrimPrefix(hs.URL, "http")} {
		with, err := wallet.DialContext(ctx, url, wallet.WithToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		if a, err := with.Account(ctx, alice, ""); err != nil || a.Address != alice {
			t.Fatalf("%s: alice with her token: %v", url, err)
		}
		if _, err := with.Account(ctx, bob, ""); !forbidden(err) {
			t.Fatalf("%s: bob with alice's token: %v", url, err)
		}
		with.Close()
		without, err := wallet.DialContext(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := without.Account(ctx, alice, ""); !forbidden(err) {
			t.Fatalf("%s: alice without a token: %v", url, err)
		}
		without.Close()
	}
}
