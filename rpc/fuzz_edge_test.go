package rpc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/golang-jwt/jwt/v5"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// FuzzParseToken: whatever the string, ParseToken does not panic; a token
// it accepts has a known role, a subject exactly when the role needs one
// and an expiry in the future; it is refused under any other secret; and
// minting its claims again gives a token that parses to the same claims.
func FuzzParseToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	alice := common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	for _, c := range []rpc.Claims{
		{Role: rpc.RoleAccount, Subject: alice, Expires: now.Add(time.Hour)},
		{Role: rpc.RoleBank, Subject: alice, Expires: now.Add(time.Hour)},
		{Role: rpc.RoleAdmin, Expires: now.Add(time.Hour)},
		{Role: rpc.RoleAdmin, Expires: now.Add(-time.Hour)},
	} {
		tok, err := rpc.MintToken(testSecret, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add(tok[:len(tok)-3])
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"role": "admin", "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	f.Add(none)
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", strings.Repeat("A", 300)} {
		f.Add(s)
	}
	other := []byte(strings.Repeat("z", 32))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := rpc.ParseToken(testSecret, tok, now)
		if err != nil {
			return
		}
		if _, err := rpc.ParseRole(string(c.Role)); err != nil {
			t.Fatalf("accepted role %q", c.Role)
		}
		needs := c.Role == rpc.RoleAccount || c.Role == rpc.RoleBank
		if needs != (c.Subject != common.Address{}) {
			t.Fatalf("accepted %s token with subject %s", c.Role, c.Subject)
		}
		if !c.Expires.After(now) {
			t.Fatalf("accepted a token that expired at %v", c.Expires)
		}
		if _, err := rpc.ParseToken(other, tok, now); err == nil {
			t.Fatal("token verifies under another secret")
		}
		again, err := rpc.MintToken(testSecret, c)
		if err != nil {
			t.Fatalf("re-mint %+v: %v", c, err)
		}
		back, err := rpc.ParseToken(testSecret, again, now)
		if err != nil || back.Role != c.Role || back.Subject != c.Subject || !back.Expires.Equal(c.Expires) {
			t.Fatalf("%+v re-minted parses to %+v (%v)", c, back, err)
		}
	})
}
