package ledger

import (
	"crypto/ecdsa"
	"maps"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
)

// TestEscrowInvariants runs random interleavings of transfers, holds,
// releases, refunds, expiries (time passing), withdrawals, withdrawal keys
// and bank feedback (valid and corrupted), one block each, and checks after
// every block:
//   - per asset, available + held + locked over all accounts = minted − burned;
//   - each account's held = the sum of its open escrows, and locked = the sum
//     of its locks;
//   - no escrow ends twice: once ended it never changes status again;
//   - locked funds are never spent before they unlock: every lock not yet
//     due is still there after the block;
//   - feedback never changes a balance, matched or mismatched.
func TestEscrowInvariants(t *testing.T) {
	f := newFixture(t, 4, escrowParams)
	keys := append(append([]*ecdsa.PrivateKey{}, f.banks...), f.customers...)
	wkeys := []*ecdsa.PrivateKey{devnet.Key(testSeed, "wk", 0), devnet.Key(testSeed, "wk", 1)}
	genesisState := f.genesisKV()

	rapid.Check(t, func(rt *rapid.T) {
		kv := maps.Clone(genesisState)
		m := &escrowModel{kv: kv, now: uint64(f.g.Time.UnixMilli()), params: f.g.Params, nonces: map[common.Address]uint64{}, ended: map[common.Hash]*chain.Escrow{}}
		var escrows, payouts []common.Hash
		pick := func(label string) *ecdsa.PrivateKey { return rapid.SampledFrom(keys).Draw(rt, label) }
		steps := rapid.IntRange(1, 80).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			m.now += rapid.OneOf(rapid.Uint64Range(1, 1000), rapid.Uint64Range(1, 1000), rapid.Uint64Range(1, 1000), rapid.Uint64Range(1, 30_000)).Draw(rt, "dt")
			from := pick("from")
			var co *ecdsa.PrivateKey
			amount := rapid.OneOf(rapid.Uint64Range(0, 5_000), rapid.Uint64Range(0, 200_000), rapid.Uint64()).Draw(rt, "amount")
			asset := rapid.SampledFrom([]string{"CNY", "CNY", "USD"}).Draw(rt, "asset")
			record := func(list []common.Hash) common.Hash {
				if len(list) == 0 || rapid.IntRange(0, 9).Draw(rt, "ghost") == 0 {
					return common.Hash{byte(i)}
				}
				return rapid.SampledFrom(list).Draw(rt, "record")
			}
			var body chain.Body
			switch rapid.IntRange(0, 11).Draw(rt, "kind") {
			case 0:
				body = chain.Transfer{To: addr(pick("to")), Asset: asset, Amount: amount}
			case 1, 2, 9, 10:
				h := chain.Hold{Payee: addr(pick("payee")), Asset: asset, Amount: amount, Expiry: m.now + rapid.Uint64Range(0, 60_000).Draw(rt, "expiry")}
				if rapid.Bool().Draw(rt, "arbiter") {
					h.Arbiter = addr(pick("arbiter"))
				}
				body = h
			case 3, 11:
				body = chain.Release{Escrow: record(m.open(rt, escrows)), Amount: rapid.Uint64Range(0, 5_001).Draw(rt, "part")}
				from = m.party(rt, body.(chain.Release).Escrow, from)
			case 4:
				body = chain.Refund{Escrow: record(m.open(rt, escrows))}
				from = m.party(rt, body.(chain.Refund).Escrow, from)
			case 5:
				body = chain.Withdraw{Asset: asset, Amount: amount, Details: sealedDetails}
				if rapid.Bool().Draw(rt, "cosign") {
					co = rapid.SampledFrom(wkeys).Draw(rt, "co")
				}
			case 6:
				body = chain.SetWithdrawalKey{Key: addr(rapid.SampledFrom(wkeys).Draw(rt, "wkey"))}
				if rapid.Bool().Draw(rt, "cosign") {
					co = rapid.SampledFrom(wkeys).Draw(rt, "co")
				}
			default:
				body, from = m.feedback(rt, record(append(escrows, payouts...)), keys)
			}
			tx := chain.NewTx(f.g.ChainID, m.nonces[addr(from)], body)
			_ = tx.Sign(from)
			if co != nil && addr(co) != addr(from) {
				_ = tx.Sign(co)
			}
			rec := m.block(rt, tx)
			if rec == nil {
				continue
			}
			if rec.OK() {
				switch body.(type) {
				case chain.Hold:
					escrows = append(escrows, tx.Hash())
				case chain.Withdraw:
					payouts = append(payouts, tx.Hash())
				}
			}
		}
	})
}

// escrowModel executes blocks over an in-memory state and checks the
// invariants after each.
type escrowModel struct {
	kv     MemKV
	now    uint64
	height uint64
	params chain.Params
	nonces map[common.Address]uint64
	ended  map[common.Hash]*chain.Escrow
}

// open usually returns the ids that are open escrows (all when none is),
// sometimes all of them, ended ones included.
func (m *escrowModel) open(rt *rapid.T, ids []common.Hash) []common.Hash {
	if rapid.IntRange(0, 3).Draw(rt, "any") == 0 {
		return ids
	}
	st := NewState(m.kv)
	var out []common.Hash
	for _, id := range ids {
		if e, ok := st.Escrow(id); ok && e.Status == chain.EscrowOpen {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return ids
	}
	return out
}

// party usually picks someone entitled to act on the escrow.
func (m *escrowModel) party(rt *rapid.T, id common.Hash, other *ecdsa.PrivateKey) *ecdsa.PrivateKey {
	e, ok := NewState(m.kv).Escrow(id)
	if !ok || rapid.IntRange(0, 4).Draw(rt, "stranger") == 0 {
		return other
	}
	want := rapid.SampledFrom(e.Parties()).Draw(rt, "party")
	for _, k := range append(append([]*ecdsa.PrivateKey{}, bankKeys()...), customerKeys()...) {
		if addr(k) == want {
			return k
		}
	}
	return other
}

func bankKeys() []*ecdsa.PrivateKey {
	return []*ecdsa.PrivateKey{devnet.Key(testSeed, "bank", 0), devnet.Key(testSeed, "bank", 1)}
}

func customerKeys() []*ecdsa.PrivateKey {
	out := make([]*ecdsa.PrivateKey, 4)
	for i := range out {
		out[i] = devnet.Key(testSeed, "customer", i)
	}
	return out
}

// feedback builds a report for record: usually the expected one from its
// bank, sometimes corrupted (kind, asset, amount or reporting bank).
func (m *escrowModel) feedback(rt *rapid.T, id common.Hash, keys []*ecdsa.PrivateKey) (chain.Body, *ecdsa.PrivateKey) {
	st := NewState(m.kv)
	fb := chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: id, Asset: "CNY", Amount: 1, Ref: "ref"}
	bank := bankKeys()[0]
	var track *chain.BankTrack
	if e, ok := st.Escrow(id); ok {
		track, fb.Asset = &e.Track, e.Asset
	} else if p, ok := st.Payout(id); ok {
		track, fb.Asset = &p.Track, p.Asset
	}
	if track != nil {
		if next, ok := track.Next(); ok {
			fb.Kind, fb.Amount = next.Kind, next.Amount
		}
		for _, k := range bankKeys() {
			if addr(k) == track.Bank {
				bank = k
			}
		}
	}
	switch rapid.IntRange(0, 5).Draw(rt, "corrupt") {
	case 0:
		fb.Amount++
	case 1:
		fb.Asset = "USD"
	case 2:
		fb.Kind = chain.FeedbackKind(rapid.IntRange(1, 5).Draw(rt, "fbkind"))
	case 3:
		bank = rapid.SampledFrom(keys).Draw(rt, "reporter")
	}
	return fb, bank
}

// block runs tx alone in a block at m.now (after the block's expiries) and
// checks every invariant; nil when the sender could not send at all.
func (m *escrowModel) block(rt *rapid.T, tx *chain.Tx) *chain.Receipt {
	before := m.accounts()
	st := NewState(m.kv)
	m.height++
	st.SetBlock(BlockContext{Height: m.height, Time: m.now, Params: m.params})
	if err := expireDue(st); err != nil {
		rt.Fatalf("expire: %v", err)
	}
	expired := st.takeEvents()
	rec, err := ApplyTx(st, "sovereign-test", tx)
	sender, _ := tx.Sender()
	if err != nil {
		rec = nil
	} else {
		m.nonces[sender]++
	}
	cs, cerr := st.Changes()
	if cerr != nil {
		rt.Fatal(cerr)
	}
	m.kv.Apply(cs)
	after := m.accounts()

	checkSupply(rt, m.kv)
	m.checkHeldAndLocks(rt, after)
	m.checkEndedOnce(rt)
	// locks not yet due survive the block
	for a, b := range before {
		for _, l := range b.Locks {
			if l.UnlockAt > m.now && !hasLock(after[a], l) {
				rt.Fatalf("lock %+v of %s vanished before %d (block time %d)", l, a, l.UnlockAt, m.now)
			}
		}
	}
	if _, isFeedback := tx.Body().(chain.Feedback); isFeedback && len(expired) == 0 {
		for a, b := range before {
			if !reflect.DeepEqual(b.Balances, after[a].Balances) {
				rt.Fatalf("feedback (%v, code %q) changed %s's balances %+v → %+v", tx.Body(), rec.Code, a, b.Balances, after[a].Balances)
			}
		}
	}
	return rec
}

// accounts reads every account as of block time m.now (locks due by then
// read as available).
func (m *escrowModel) accounts() map[common.Address]*chain.Account {
	st := NewState(m.kv)
	st.SetBlock(BlockContext{Time: m.now, Params: m.params})
	out := map[common.Address]*chain.Account{}
	for k := range m.kv {
		if k[0] == chain.PrefixAccount {
			a := common.BytesToAddress([]byte(k[1:]))
			out[a], _ = st.Account(a)
		}
	}
	return out
}

func hasLock(a *chain.Account, l chain.Lock) bool {
	for _, x := range a.Locks {
		if x == l {
			return true
		}
	}
	return false
}

func (m *escrowModel) escrows() []*chain.Escrow {
	st := NewState(m.kv)
	var out []*chain.Escrow
	for k := range m.kv {
		if k[0] == chain.PrefixEscrow {
			e, _ := st.Escrow(common.BytesToHash([]byte(k[1:])))
			out = append(out, e)
		}
	}
	return out
}

func (m *escrowModel) checkHeldAndLocks(rt *rapid.T, accts map[common.Address]*chain.Account) {
	held := map[common.Address]map[string]uint64{}
	for _, e := range m.escrows() {
		if e.Status != chain.EscrowOpen {
			continue
		}
		if e.Expiry < m.now {
			rt.Fatalf("escrow %s open past its expiry %d at block time %d", e.ID, e.Expiry, m.now)
		}

		if held[e.Payer] == nil {
			held[e.Payer] = map[string]uint64{}
		}
		held[e.Payer][e.Asset] += e.Amount
	}
	for a, acct := range accts {
		locked := map[string]uint64{}
		for _, l := range acct.Locks {
			locked[l.Asset] += l.Amount
		}
		for _, b := range acct.Balances {
			if b.Held != held[a][b.Asset] {
				rt.Fatalf("%s holds %d %s, its open escrows %d", a, b.Held, b.Asset, held[a][b.Asset])
			}
			if b.Locked != locked[b.Asset] {
				rt.Fatalf("%s has %d %s locked, its locks %d", a, b.Locked, b.Asset, locked[b.Asset])
			}
		}
	}
}

func (m *escrowModel) checkEndedOnce(rt *rapid.T) {
	for _, e := range m.escrows() {
		if prev, ok := m.ended[e.ID]; ok {
			if e.Status != prev.Status || e.EndedHeight != prev.EndedHeight || e.Released != prev.Released || e.Returned != prev.Returned {
				rt.Fatalf("escrow %s ended twice: %s at %d, then %s at %d", e.ID, prev.Status, prev.EndedHeight, e.Status, e.EndedHeight)
			}
			continue
		}
		if e.Status != chain.EscrowOpen {
			if e.Released+e.Returned != e.Amount {
				rt.Fatalf("escrow %s of %d ended with %d released and %d returned", e.ID, e.Amount, e.Released, e.Returned)
			}
			m.ended[e.ID] = e
		}
	}
}
