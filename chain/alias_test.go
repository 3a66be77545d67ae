package chain

import (
	"errors"
	"testing"
)

func TestNormalizeAlias(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+8613800138000", "+8613800138000"},
		{"+86 138-0013-8000", "+8613800138000"},
		{"0086 13800138000", "+8613800138000"},
		{" +1 (415) 555-2671 ", "+14155552671"},
		{"Alice@Example.COM", "alice@example.com"},
		{"13800138000", ""},           // no country code
		{"+86 123", ""},               // not a number in its plan
		{"Alice <a@example.com>", ""}, // not a plain address
		{"a@", ""},
		{"", ""},
	} {
		got, err := NormalizeAlias(c.in)
		if c.want == "" {
			if !errors.Is(err, ErrBadAlias) {
				t.Errorf("%q: got %q, %v; want bad_alias", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestAliasHashSalted(t *testing.T) {
	g := &Genesis{ChainID: "a"}
	h1, _ := g.HashAlias("+8613800138000")
	h2, _ := g.HashAlias("+86 138 0013 8000")
	if h1 != h2 {
		t.Fatal("equal aliases hash differently")
	}
	other := &Genesis{ChainID: "b"}
	if h3, _ := other.HashAlias("+8613800138000"); h3 == h1 {
		t.Fatal("two chains share an alias hash: the salt is not used")
	}
	g.Params.AliasSalt = []byte("0123456789abcdef")
	if h4, _ := g.HashAlias("+8613800138000"); h4 == h1 {
		t.Fatal("the alias_salt parameter is not used")
	}
}

func TestEndToEndID(t *testing.T) {
	id := rlpHash("x")
	for _, c := range []struct {
		ref    string
		prefix byte
	}{{EscrowEndToEndID(id), PrefixEscrow}, {PayoutEndToEndID(id), PrefixPayout}} {
		if len(c.ref) > MaxEndToEndID {
			t.Fatalf("%q is longer than %d", c.ref, MaxEndToEndID)
		}
		p, idp, err := ParseEndToEndID(" " + c.ref + " ")
		if err != nil || p != c.prefix || string(idp) != string(id[:EndToEndIDBytes]) {
			t.Fatalf("%q parsed to %c %x %v", c.ref, p, idp, err)
		}
	}
	for _, bad := range []string{"", "SX" + EscrowEndToEndID(id)[2:], "SE12", EscrowEndToEndID(id)[:33] + "G"} {
		if _, _, err := ParseEndToEndID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
