package node

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/webhook"
)

// hookSink is a bank back-end's webhook endpoint: it checks every
// delivery's signature, fails the first attempt of each event once (so
// retries are exercised) and records what it got.
type hookSink struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	tried  map[string]bool
	got    map[string]WebhookDelivery // by event id
	order  []string
	badSig int
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := webhook.Verify(h.secret, r.Header.Get(HeaderSignature), body, 0, time.Now()); err != nil {
		h.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(HeaderEventID)
	if !h.tried[id] {
		h.tried[id] = true
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	var d WebhookDelivery
	if err := json.Unmarshal(body, &d); err != nil || d.ID != id {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if _, dup := h.got[id]; !dup {
		h.order = append(h.order, id)
	}
	h.got[id] = d
}

func (h *hookSink) kinds() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for _, d := range h.got {
		out[d.Event.Kind]++
	}
	return out
}

// TestEscrowSeedFlow runs the seed patent's flow on a real node over HTTP
// JSON-RPC: hold, the payer's bank confirms the hold, release, the bank
// confirms the debit, the protection period passes, the payee withdraws
// with its withdrawal key, its bank decrypts the payout details and
// confirms the payout. A webhook receives every event with a valid
// signature; a WebSocket subscription follows the payee. A mismatched and
// an overdue feedback show up in reconciliation.
func TestEscrowSeedFlow(t *testing.T) {
	sink := &hookSink{t: t, secret: "s3cret", tried: map[string]bool{}, got: map[string]WebhookDelivery{}}
	hook := httptest.NewServer(sink)
	defer hook.Close()

	alice, bob := devnet.Key(devnet.Seed, "customer", 0), devnet.Key(devnet.Seed, "customer", 1)
	carol, dave := devnet.Key(devnet.Seed, "customer", 2), devnet.Key(devnet.Seed, "customer", 3)
	bankA, bankB := devnet.Key(devnet.Seed, "bank", 0), devnet.Key(devnet.Seed, "bank", 1) // alice, carol: A; bob, dave: B
	wkey := devnet.Key(devnet.Seed, "withdrawal", 0)
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	g.Params.ProtectionPeriod = chain.Duration(time.Hour)
	g.Params.FeedbackDeadline = chain.Duration(30 * time.Minute)
	clock := NewOffsetClock(0) // moved past the protection period and the feedback deadline: no test waits an hour
	n, err := New(Config{
		DataDir: t.TempDir(), Genesis: g, Clock: clock,
		Key: devnet.Key(devnet.Seed, "validator", 0), HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		RPCAddr:  "127.0.0.1:0",
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Webhooks: []Webhook{{URL: hook.URL, Secret: sink.secret, Accounts: []common.Address{addrOf(alice), addrOf(bob)}, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := wallet.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ws, err := wallet.Dial(strings.Replace(n.RPCURL(), "http://", "ws://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	bobEvents := make(chan rpc.Notice, 100)
	sub, err := ws.SubscribeAccountEvents(ctx, addrOf(bob), bobEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	final := func(tx *chain.Tx, err error) *rpc.Transaction {
		t.Helper()
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		got, err := c.WaitFinal(ctx, tx.Hash())
		if err != nil {
			t.Fatalf("tx %s: %v", tx.Hash(), err)
		}
		return got
	}
	refused := func(code string) func(*chain.Tx, error) {
		return func(tx *chain.Tx, err error) {
			t.Helper()
			if err == nil {
				_, err = c.WaitFinal(ctx, tx.Hash())
			}
			if !wallet.IsCode(err, code) {
				t.Fatalf("want %s, got %v", code, err)
			}
		}
	}
	escrowStatus := func(id common.Hash, status, bank string) *rpc.Escrow {
		t.Helper()
		e, err := c.Escrow(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != status || e.BankStatus != bank {
			t.Fatalf("escrow %s: %s/%s, want %s/%s", id, e.Status, e.BankStatus, status, bank)
		}
		return e
	}

	// 1. hold: alice freezes 100.00 CNY for bob
	hold, err := c.Hold(ctx, alice, addrOf(bob), "CNY", "100.00", time.Hour, common.Address{})
	final(hold, err)
	id := hold.Hash()
	escrowStatus(id, "open", "waiting")
	acct, _ := c.Account(ctx, addrOf(alice), "CNY")
	if acct.Balances[0].Held != "100.00" {
		t.Fatalf("alice holds %s", acct.Balances[0].Held)
	}
	// 2. bank A confirms the hold
	final(c.Feedback(ctx, bankA, id, "hold_placed", "CNY", "100.00", "A-HOLD-1"))
	escrowStatus(id, "open", "matched")
	// 3. release to bob's locked balance
	final(c.Release(ctx, alice, id, ""))
	e := escrowStatus(id, "released", "waiting")
	bobAcct, _ := c.Account(ctx, addrOf(bob), "CNY")
	if bobAcct.Balances[0].Locked != "100.00" || len(bobAcct.Locks) != 1 || bobAcct.Locks[0].UnlockAt != *e.UnlockAt {
		t.Fatalf("bob: locked %s, locks %+v", bobAcct.Balances[0].Locked, bobAcct.Locks)
	}
	// 4. bank A confirms the debit
	final(c.Feedback(ctx, bankA, id, "debit_executed", "CNY", "100.00", "A-DEBIT-1"))
	escrowStatus(id, "released", "matched")
	// 5. bob registers a withdrawal key; withdrawing everything needs the
	// locked 100.00, refused until the protection period passes
	final(c.SetWithdrawalKey(ctx, bob, addrOf(wkey), nil))
	all := "1000100.00" // everything, once the released 100.00 unlocks
	refused("withdrawal_key_required")(c.Withdraw(ctx, bob, "CNY", "1.00", []byte("x"), nil))
	// the pool refuses it at admission with the ledger's own code
	refused("protection_period")(c.Withdraw(ctx, bob, "CNY", all, []byte("x"), wkey))
	// passTime moves the node's clock forward to ms (Unix milliseconds)
	// and waits for a block stamped at least then.
	passTime := func(ms uint64) {
		t.Helper()
		clock.Advance(time.UnixMilli(int64(ms)).Sub(clock.Now()) + time.Millisecond)
		for {
			head, err := c.BlockByNumber(ctx, rpc.Latest, false)
			if err != nil {
				t.Fatal(err)
			}
			if head.Time >= ms {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	passTime(*e.UnlockAt)
	const details = "IBAN CN12 3456 7890 1234 Bob"
	wd := final(c.Withdraw(ctx, bob, "CNY", all, []byte(details), wkey))
	if bal, _ := c.Account(ctx, addrOf(bob), "CNY"); bal.Balances[0].AvailableUnits != 0 || bal.Balances[0].LockedUnits != 0 {
		t.Fatalf("bob after withdrawing all: %+v", bal.Balances[0])
	}
	// 6. bank B reads its payouts and decrypts the details
	payouts, err := c.Payouts(ctx, rpc.BankRange{Bank: addrOf(bankB)})
	if err != nil || len(payouts) != 1 || payouts[0].ID != wd.Hash {
		t.Fatalf("payouts %+v %v", payouts, err)
	}
	if strings.Contains(string(payouts[0].Details), "IBAN") {
		t.Fatal("payout details are on chain in clear")
	}
	pt, err := wallet.DecryptPayout(bankB, &payouts[0])
	if err != nil || string(pt) != details {
		t.Fatalf("decrypted %q: %v", pt, err)
	}
	if _, err := wallet.DecryptPayout(bankA, &payouts[0]); err == nil {
		t.Fatal("another bank decrypted the payout details")
	}
	// 7. bank B confirms the payout
	final(c.Feedback(ctx, bankB, wd.Hash, "payout_executed", "CNY", all, "B-PAY-1"))
	if p, err := c.Payout(ctx, wd.Hash); err != nil || p.BankStatus != "matched" {
		t.Fatalf("payout %+v %v", p, err)
	}

	// a mismatched feedback: carol's hold reported with the wrong amount
	ch, err := c.Hold(ctx, carol, addrOf(dave), "CNY", "7.00", time.Hour, common.Address{})
	final(ch, err)
	refused("feedback_mismatch")(c.Feedback(ctx, bankA, ch.Hash(), "hold_placed", "CNY", "7.10", "A-HOLD-2"))
	// an overdue one: dave's hold, never reported by bank B
	dh, err := c.Hold(ctx, dave, addrOf(carol), "CNY", "3.00", time.Hour, common.Address{})
	final(dh, err)
	passTime(uint64(clock.Now().Add(g.Params.FeedbackDeadline.Std() + time.Second).UnixMilli())) // past the feedback deadline, in block time
	recA, err := c.Reconciliation(ctx, rpc.BankRange{Bank: addrOf(bankA)})
	if err != nil {
		t.Fatal(err)
	}
	if !hasRecord(recA.Matched, id) || !hasRecord(recA.Mismatched, ch.Hash()) {
		t.Fatalf("bank A reconciliation: %+v", recA.Counts)
	}
	if x := findRecord(recA.Mismatched, ch.Hash()); len(x.Escrow.Exceptions) != 1 || x.Escrow.Exceptions[0].Reason != chain.ReasonAmountMismatch {
		t.Fatalf("mismatch evidence %+v", x.Escrow.Exceptions)
	}
	recB, err := c.Reconciliation(ctx, rpc.BankRange{Bank: addrOf(bankB)})
	if err != nil {
		t.Fatal(err)
	}
	if !hasRecord(recB.Overdue, dh.Hash()) || !hasRecord(recB.Matched, wd.Hash) {
		t.Fatalf("bank B reconciliation: %+v", recB.Counts)
	}
	checkFeedbackMetrics(t, n, map[common.Address]*rpc.Reconciliation{addrOf(bankA): recA, addrOf(bankB): recB})
	if p, err := c.Escrows(ctx, rpc.EscrowList{Account: ptr(addrOf(bob))}); err != nil || len(p) != 1 || p[0].ID != id {
		t.Fatalf("bob's escrows %+v %v", p, err)
	}
	proof, err := c.Proof(ctx, rpc.ProofQuery{Escrow: &id})
	if err != nil || !proof.Exists || proof.Escrow == nil || proof.Escrow.Status != "released" {
		t.Fatalf("escrow proof %+v %v", proof, err)
	}

	// every event concerning alice or bob reached the webhook, signed
	deadline := time.Now().Add(10 * time.Second)
	for {
		k := sink.kinds()
		if k[chain.EventEscrowOpened] >= 1 && k[chain.EventFeedbackMatched] >= 3 && k[chain.EventEscrowReleased] >= 1 &&
			k[chain.EventWithdrawalKeySet] >= 1 && k[chain.EventWithdrawal] >= 1 && k[chain.EventRejected] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %v", k)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sink.mu.Lock()
	if sink.badSig != 0 {
		t.Errorf("%d deliveries with a bad signature", sink.badSig)
	}
	for _, d := range sink.got {
		if d.Event.Kind == chain.EventEscrowOpened && d.Event.Record != nil && *d.Event.Record == ch.Hash() {
			t.Errorf("carol's escrow (no configured account) was delivered")
		}
	}
	sink.mu.Unlock()

	// the WebSocket subscription followed bob
	seen := map[string]bool{}
	for len(bobEvents) > 0 {
		ev := <-bobEvents
		seen[ev.Event.Kind] = true
	}
	for _, k := range []string{chain.EventEscrowOpened, chain.EventEscrowReleased, chain.EventWithdrawal, chain.EventFeedbackMatched} {
		if !seen[k] {
			t.Errorf("bob's subscription missed %s (saw %v)", k, seen)
		}
	}
	if err := n.Ledger().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func ptr[T any](v T) *T { return &v }

func findRecord(rs []rpc.ReconRecord, id common.Hash) rpc.ReconRecord {
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	return rpc.ReconRecord{}
}

func hasRecord(rs []rpc.ReconRecord, id common.Hash) bool { return findRecord(rs, id).ID == id }
