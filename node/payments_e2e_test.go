package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/camt"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/webhook"
)

// verifyingReceiver is a bank back-end's webhook endpoint that does what
// docs/PAYMENTS.md tells receivers to do: verify every signature and
// timestamp (5 minutes' tolerance), check the event id header against the
// body, and de-duplicate by event id. It refuses each event's first attempt
// once, so every event is also delivered by a retry.
type verifyingReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	tried  map[string]bool
	got    map[string]node.WebhookDelivery
	bad    []string
}

func (h *verifyingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	signed, err := webhook.Verify(h.secret, r.Header.Get(webhook.HeaderSignature), body, webhook.DefaultTolerance, time.Now())
	if err != nil {
		h.bad = append(h.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if d := time.Since(signed); d > 5*time.Second || d < -5*time.Second {
		h.bad = append(h.bad, "a delivery was signed "+d.String()+" ago: retries must be signed afresh")
	}
	id := r.Header.Get(webhook.HeaderEventID)
	var d node.WebhookDelivery
	if err := json.Unmarshal(body, &d); err != nil || d.ID != id || id == "" {
		h.bad = append(h.bad, "event id header and body disagree: "+id)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !h.tried[id] {
		h.tried[id] = true
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	h.got[id] = d // de-duplicated by id
}

func (h *verifyingReceiver) has(kind string, record common.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.got {
		if d.Event.Kind == kind && d.Event.Record != nil && *d.Event.Record == record {
			return true
		}
	}
	return false
}

// TestPaymentRequestFlow is docs/PAYMENTS.md's walk-through on a real node:
// bank A binds alice's phone number; bob, a merchant, requests payment from
// it into escrow; alice sees the request and accepts; bank A's camt.054
// reservation is imported (hold_placed); alice releases; bank A's booked
// debit is imported (debit_executed); bob sees the request paid and the
// escrow released and matched. A webhook receiver verifies every delivery,
// and bob's WebSocket subscription sees the request's events.
func TestPaymentRequestFlow(t *testing.T) {
	recv := &verifyingReceiver{t: t, secret: "whsec-devnet", tried: map[string]bool{}, got: map[string]node.WebhookDelivery{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()
	alice, bob := devnode.Addr(devnode.Alice), devnode.Addr(devnode.Bob)
	n := devnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.Webhooks = []node.Webhook{{URL: hook.URL, Secret: recv.secret, Accounts: []common.Address{alice, bob},
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}}
	})
	c, ctx := n.Client, n.Ctx
	ws, err := wallet.Dial(strings.Replace(n.Node.RPCURL(), "http://", "ws://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	bobEvents := make(chan rpc.Notice, 100)
	sub, err := ws.SubscribeAccountEvents(ctx, bob, bobEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	const phone = "+86 138 0013 8000"
	n.Final(c.BindAlias(ctx, devnode.BankA, alice, phone))
	req := n.Final(c.Request(ctx, devnode.Bob, phone, "CNY", "12.50", wallet.RequestOptions{Expires: 15 * time.Minute, Ref: "ORDER-1001", Escrow: true, HoldFor: time.Hour}))
	waiting, err := c.PaymentRequests(ctx, rpc.RequestList{Payer: &alice, Status: "open"})
	if err != nil || len(waiting) != 1 || waiting[0].ID != req.Hash || waiting[0].Merchant != bob {
		t.Fatalf("alice's waiting requests: %+v %v", waiting, err)
	}
	acc := n.Final(c.Accept(ctx, devnode.Alice, req.Hash))
	escrow := acc.Hash
	status, err := c.PaymentRequest(ctx, req.Hash)
	if err != nil || status.Status != "paid" || status.Escrow == nil || *status.Escrow != escrow {
		t.Fatalf("request after accept: %+v %v", status, err)
	}
	e2e := status.EndToEndID

	importFile := func(version string, it camt.Item) *wallet.ImportReport {
		t.Helper()
		var buf bytes.Buffer
		if err := camt.Write(&buf, version, "BANKA-"+it.BankRef, time.Now(), []camt.Item{it}); err != nil {
			t.Fatal(err)
		}
		rep, err := c.ImportCamt054(ctx, devnode.BankA, &buf, wallet.ImportOptions{Wait: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Submitted != 1 || rep.Entries[wallet.ImportSubmitted][0].Code != "" {
			t.Fatalf("import: %+v", rep.Entries)
		}
		return rep
	}
	importFile("camt.054.001.02", camt.Item{EndToEndID: e2e, CreditDebit: camt.Debit, Status: camt.Pending, Amount: "12.50", Currency: "CNY", BankRef: "A-HOLD-1"})
	n.Final(c.Release(ctx, devnode.Alice, escrow, ""))
	importFile("camt.054.001.08", camt.Item{EndToEndID: e2e, CreditDebit: camt.Debit, Status: camt.Booked, Amount: "12.50", Currency: "CNY", BankRef: "A-DEBIT-1"})

	// the merchant sees the result
	mine, err := c.PaymentRequests(ctx, rpc.RequestList{Merchant: &bob, Status: "paid"})
	if err != nil || len(mine) != 1 || mine[0].ID != req.Hash {
		t.Fatalf("bob's paid requests: %+v %v", mine, err)
	}
	e, err := c.Escrow(ctx, escrow)
	if err != nil || e.Status != "released" || e.BankStatus != chain.BankMatched || e.Payee != bob || e.EndToEndID != e2e {
		t.Fatalf("escrow: %+v %v", e, err)
	}

	// webhooks: every event verified, each kind delivered
	deadline := time.Now().Add(20 * time.Second)
	for _, want := range []struct {
		kind   string
		record common.Hash
	}{
		{chain.EventRequestOpened, req.Hash}, {chain.EventRequestPaid, req.Hash},
		{chain.EventEscrowOpened, escrow}, {chain.EventFeedbackMatched, escrow}, {chain.EventEscrowReleased, escrow},
	} {
		for !recv.has(want.kind, want.record) {
			if time.Now().After(deadline) {
				t.Fatalf("webhook never got %s for %s", want.kind, want.record)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	recv.mu.Lock()
	if len(recv.bad) > 0 {
		t.Errorf("bad deliveries: %v", recv.bad)
	}
	recv.mu.Unlock()

	// bob's subscription saw his request opened and paid
	seen := map[string]bool{}
	for timeout := time.After(10 * time.Second); !seen[chain.EventRequestOpened] || !seen[chain.EventRequestPaid]; {
		select {
		case ev := <-bobEvents:
			if ev.Event.Record != nil && *ev.Event.Record == req.Hash {
				seen[ev.Event.Kind] = true
			}
		case <-timeout:
			t.Fatalf("bob's subscription saw %v", seen)
		}
	}
}
