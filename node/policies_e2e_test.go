package node_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// TestPolicyStories runs docs/POLICIES.md's three stories of the founding
// documents on a real node, through the wallet client:
//
//  1. a minor (carol) pays a large purchase, which her guardian (alice)
//     co-signs, with her verification key;
//  2. an elderly customer (dave), misled by a fraudster, pays a large
//     amount; it waits; the supervisor's bank back-end receives
//     approval_requested by webhook (a webhook filtered by the supervisor's
//     address) and over its WebSocket subscription; the supervisor rejects
//     it and the funds never move; the supervisor's webhook receives the
//     rejection too;
//  3. a purchase sub-account of alice's runs out of its daily allowance.
func TestPolicyStories(t *testing.T) {
	supervisorKey := devnet.Key(devnet.Seed, "supervisor", 0)
	fraudsterKey := devnet.Key(devnet.Seed, "fraudster", 0)
	verifyCarol, verifyDave := devnet.Key(devnet.Seed, "verification", 2), devnet.Key(devnet.Seed, "verification", 3)
	card := devnet.Key(devnet.Seed, "card", 0)
	supervisor, fraudster := devnode.Addr(supervisorKey), devnode.Addr(fraudsterKey)
	alice, bob, carol, dave := devnode.Addr(devnode.Alice), devnode.Addr(devnode.Bob), devnode.Addr(devnode.Carol), devnode.Addr(devnode.Dave)

	recv := &verifyingReceiver{t: t, secret: "whsec-supervisor", tried: map[string]bool{}, got: map[string]node.WebhookDelivery{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()
	n := devnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.Webhooks = []node.Webhook{{URL: hook.URL, Secret: recv.secret, Accounts: []common.Address{supervisor},
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}}
	})
	c, ctx := n.Client, n.Ctx
	balance := func(a common.Address) string {
		t.Helper()
		acct, err := c.Account(ctx, a, "CNY")
		if err != nil {
			t.Fatal(err)
		}
		return acct.Balances[0].Available
	}

	// Setup: the banks register the supervisor and the fraudster, carol
	// and dave register verification keys, and the banks set the policies.
	n.Final(c.RegisterAccount(ctx, devnode.BankB, supervisor))
	n.Final(c.RegisterAccount(ctx, devnode.BankA, fraudster))
	n.Final(c.SetWithdrawalKey(ctx, devnode.Carol, devnode.Addr(verifyCarol), nil))
	n.Final(c.SetWithdrawalKey(ctx, devnode.Dave, devnode.Addr(verifyDave), nil))
	tiers := []chain.Tier{{Asset: "CNY", Small: 50000, Normal: 500000}} // 500.00 and 5,000.00
	n.Final(c.SetPolicy(ctx, devnode.BankA, carol, chain.Policy{Tiers: tiers, Guardians: []common.Address{alice}, Threshold: 1}))
	n.Final(c.SetPolicy(ctx, devnode.BankB, dave, chain.Policy{Tiers: tiers, Supervisor: supervisor}))
	ws, err := wallet.Dial(strings.Replace(n.Node.RPCURL(), "http://", "ws://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	notices := make(chan rpc.Notice, 100)
	sub, err := ws.SubscribeAccountEvents(ctx, supervisor, notices)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	// 1. The minor's large purchase: refused without her guardian, paid with.
	minor := c.WithCosigners(verifyCarol)
	n.Refused("guardian_signature_required")(minor.Transfer(ctx, devnode.Carol, bob, "CNY", "6000"))
	guarded := c.WithCosigners(verifyCarol, devnode.Alice)
	bobBefore := balance(bob)
	n.Final(guarded.Transfer(ctx, devnode.Carol, bob, "CNY", "6000"))
	if balance(bob) == bobBefore {
		t.Fatal("the guardian-co-signed purchase did not pay bob")
	}

	// 2. The elderly customer's payment to a fraudster waits, the
	// supervisor is told and rejects it, and nothing moves.
	elderly := c.WithCosigners(verifyDave)
	daveBefore := balance(dave)
	waiting := n.Final(elderly.Transfer(ctx, devnode.Dave, fraudster, "CNY", "20000"))
	if len(waiting.Receipt.Events) == 0 || waiting.Receipt.Events[0].Kind != chain.EventApprovalRequested {
		t.Fatalf("the large payment did not wait: %+v", waiting.Receipt)
	}
	id := waiting.Hash
	deadline := time.Now().Add(30 * time.Second)
	for !recv.has(chain.EventApprovalRequested, id) {
		if time.Now().After(deadline) {
			t.Fatal("the supervisor's webhook never received approval_requested")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := nextNotice(t, notices, chain.EventApprovalRequested); got.Event.Record == nil || *got.Event.Record != id {
		t.Fatalf("the supervisor's subscription: %+v", got)
	}
	pending, err := c.PendingApprovals(ctx, rpc.ApprovalList{Supervisor: &supervisor})
	if err != nil || len(pending) != 1 || pending[0].ID != id || pending[0].Payee == nil || *pending[0].Payee != fraudster || pending[0].Amount != "20000.00" {
		t.Fatalf("the supervisor's pending approvals: %+v %v", pending, err)
	}
	n.Final(c.RejectPayment(ctx, supervisorKey, id, "telephone_fraud"))
	for !recv.has(chain.EventPaymentRejected, id) {
		if time.Now().After(deadline) {
			t.Fatal("the supervisor's webhook never received payment_rejected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.Refused("approval_not_pending")(c.ApprovePayment(ctx, supervisorKey, id))
	if balance(dave) != daveBefore || balance(fraudster) != "0.00" {
		t.Fatalf("the rejected payment moved funds: dave %s → %s, fraudster %s", daveBefore, balance(dave), balance(fraudster))
	}
	if a, err := c.Approval(ctx, id); err != nil || a.Status != "rejected" || a.Reason != "telephone_fraud" {
		t.Fatalf("the rejected payment: %+v %v", a, err)
	}

	// 3. A purchase sub-account runs out of allowance.
	n.Final(c.CreateSubAccount(ctx, devnode.Alice, alice, devnode.Addr(card), chain.SubTerms{
		Limits: []chain.SubLimit{{Asset: "CNY", Amount: 10000, Period: uint64((24 * time.Hour).Milliseconds())}}, Merchants: []common.Address{bob}}))
	n.Final(c.Transfer(ctx, devnode.Alice, devnode.Addr(card), "CNY", "300"))
	n.Final(c.Transfer(ctx, card, bob, "CNY", "60"))
	n.Final(c.Transfer(ctx, card, bob, "CNY", "40"))
	n.Refused("sub_account_limit")(c.Transfer(ctx, card, bob, "CNY", "0.01"))
	n.Refused("merchant_not_allowed")(c.Transfer(ctx, card, fraudster, "CNY", "0.01"))
	sa, err := c.SubAccount(ctx, devnode.Addr(card))
	if err != nil || sa.Limits[0].Remaining != "0.00" || sa.Limits[0].ResetAt != sa.Created+uint64((24*time.Hour).Milliseconds()) {
		t.Fatalf("the spent-out sub-account: %+v %v", sa, err)
	}
	if recv.bad != nil {
		t.Fatalf("bad deliveries: %v", recv.bad)
	}
}

// nextNotice waits for the next notice of kind on ch.
func nextNotice(t *testing.T, ch <-chan rpc.Notice, kind string) rpc.Notice {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case got := <-ch:
			if got.Event.Kind == kind {
				return got
			}
		case <-timeout:
			t.Fatalf("no %s notice", kind)
		}
	}
}
