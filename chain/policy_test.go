package chain

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

var (
	polAccount = common.Address{0xaa}
	g1, g2, g3 = common.Address{1}, common.Address{2}, common.Address{3}
	polSuper   = common.Address{0x50}
)

// TestPolicyValidate: one row per form a policy may not take, each
// bad_policy.
func TestPolicyValidate(t *testing.T) {
	cny := Tier{Asset: "CNY", Small: 500, Normal: 5000}
	for _, tc := range []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"zero policy", Policy{}, true},
		{"tiers only", Policy{Tiers: []Tier{cny}}, true},
		{"full", Policy{Tiers: []Tier{cny, {Asset: "USD", Small: 1, Normal: 1}}, Guardians: []common.Address{g1, g2}, Threshold: 2, Supervisor: polSuper, NewPayeeNeedsGuardian: true}, true},
		{"tiers unsorted", Policy{Tiers: []Tier{{Asset: "USD"}, cny}}, false},
		{"tier twice", Policy{Tiers: []Tier{cny, cny}}, false},
		{"tier without asset", Policy{Tiers: []Tier{{Small: 1, Normal: 2}}}, false},
		{"small above normal", Policy{Tiers: []Tier{{Asset: "CNY", Small: 6000, Normal: 5000}}}, false},
		{"guardians unsorted", Policy{Guardians: []common.Address{g2, g1}, Threshold: 1}, false},
		{"guardian twice", Policy{Guardians: []common.Address{g1, g1}, Threshold: 1}, false},
		{"zero guardian", Policy{Guardians: []common.Address{{}}, Threshold: 1}, false},
		{"account its own guardian", Policy{Guardians: []common.Address{polAccount}, Threshold: 1}, false},
		{"supervisor also guardian", Policy{Guardians: []common.Address{polSuper}, Threshold: 1, Supervisor: polSuper}, false},
		{"account its own supervisor", Policy{Supervisor: polAccount}, false},
		{"threshold without guardians", Policy{Threshold: 1}, false},
		{"guardians without threshold", Policy{Guardians: []common.Address{g1}}, false},
		{"threshold above guardians", Policy{Guardians: []common.Address{g1}, Threshold: 2}, false},
		{"threshold beyond an envelope", Policy{Guardians: sortedAddrs(MaxGuardianSigs + 1), Threshold: MaxGuardianSigs + 1}, false},
		{"threshold that fits", Policy{Guardians: sortedAddrs(MaxGuardianSigs + 1), Threshold: MaxGuardianSigs}, true},
		{"too many guardians", Policy{Guardians: sortedAddrs(MaxPolicyGuardians + 1), Threshold: 1}, false},
		{"new-payee rule without guardians", Policy{NewPayeeNeedsGuardian: true}, false},
	} {
		err := tc.p.Validate(polAccount)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrBadPolicy) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func sortedAddrs(n int) []common.Address {
	out := make([]common.Address, n)
	for i := range out {
		out[i] = common.Address{byte(i + 1)}
	}
	return out
}

// TestPolicyTierOf: the boundaries are inclusive, and an asset without a
// tier is unrestricted.
func TestPolicyTierOf(t *testing.T) {
	p := Policy{Tiers: []Tier{{Asset: "CNY", Small: 500, Normal: 5000}, {Asset: "USD", Small: 0, Normal: 0}}}
	for _, tc := range []struct {
		asset  string
		amount uint64
		want   Level
	}{
		{"CNY", 1, LevelSmall}, {"CNY", 500, LevelSmall}, {"CNY", 501, LevelNormal}, {"CNY", 5000, LevelNormal},
		{"CNY", 5001, LevelLarge}, {"CNY", ^uint64(0), LevelLarge},
		{"USD", 1, LevelLarge}, {"EUR", ^uint64(0), LevelSmall},
	} {
		if got := p.TierOf(tc.asset, tc.amount); got != tc.want {
			t.Errorf("%d %s: %s, want %s", tc.amount, tc.asset, got, tc.want)
		}
	}
}

// TestPolicyTighterThan: what an account may do to its own policy.
func TestPolicyTighterThan(t *testing.T) {
	base := Policy{Tiers: []Tier{{Asset: "CNY", Small: 500, Normal: 5000}}, Guardians: []common.Address{g1, g2}, Threshold: 1}
	with := func(f func(*Policy)) Policy {
		p := base
		p.Tiers = append([]Tier(nil), base.Tiers...)
		p.Guardians = append([]common.Address(nil), base.Guardians...)
		f(&p)
		return p
	}
	for _, tc := range []struct {
		name    string
		old, p  Policy
		tighter bool
	}{
		{"the same", base, base, true},
		{"from none", Policy{}, base, true},
		{"to none", base, Policy{}, false},
		{"lower small limit", base, with(func(p *Policy) { p.Tiers[0].Small = 100 }), true},
		{"higher small limit", base, with(func(p *Policy) { p.Tiers[0].Small = 600 }), false},
		{"higher normal limit", base, with(func(p *Policy) { p.Tiers[0].Normal = 6000 }), false},
		{"tier dropped", base, with(func(p *Policy) { p.Tiers = nil }), false},
		{"tier added", base, with(func(p *Policy) { p.Tiers = append(p.Tiers, Tier{Asset: "USD", Small: 1, Normal: 2}) }), true},
		{"higher threshold", base, with(func(p *Policy) { p.Threshold = 2 }), true},
		{"guardian removed", base, with(func(p *Policy) { p.Guardians = p.Guardians[:1] }), true},
		{"all guardians removed", base, with(func(p *Policy) { p.Guardians, p.Threshold = nil, 0 }), false},
		{"guardian added, same threshold", base, with(func(p *Policy) { p.Guardians = append(p.Guardians, g3) }), false},
		{"guardian added, threshold raised", base, with(func(p *Policy) { p.Guardians, p.Threshold = append(p.Guardians, g3), 2 }), true},
		{"guardian swapped, threshold raised", base, with(func(p *Policy) { p.Guardians, p.Threshold = []common.Address{g1, g3}, 2 }), true},
		{"guardian swapped", base, with(func(p *Policy) { p.Guardians = []common.Address{g1, g3} }), false},
		{"supervisor added", base, with(func(p *Policy) { p.Supervisor = polSuper }), true},
		{"supervisor removed", with(func(p *Policy) { p.Supervisor = polSuper }), base, false},
		{"supervisor replaced", with(func(p *Policy) { p.Supervisor = polSuper }), with(func(p *Policy) { p.Supervisor = common.Address{0x51} }), false},
		{"new-payee rule on", base, with(func(p *Policy) { p.NewPayeeNeedsGuardian = true }), true},
		{"new-payee rule off", with(func(p *Policy) { p.NewPayeeNeedsGuardian = true }), base, false},
	} {
		if got := tc.p.TighterThan(&tc.old); got != tc.tighter {
			t.Errorf("%s: tighter=%v, want %v", tc.name, got, tc.tighter)
		}
	}
}
