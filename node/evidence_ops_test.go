package node

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestEvidenceIsVisible: equivocation evidence that became final is listed
// by sov_listEvidence (who, where, the two signatures), counted on
// /metrics and announced to webhooks.
func TestEvidenceIsVisible(t *testing.T) {
	hooks := make(chan WebhookDelivery, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d WebhookDelivery
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &d); err == nil {
			hooks <- d
		}
	}))
	defer hook.Close()

	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	n, err := New(Config{
		DataDir: t.TempDir(), Genesis: g, RPCAddr: "127.0.0.1:0",
		Key: devnet.Key(devnet.Seed, "validator", 0), HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		Webhooks: []Webhook{{URL: hook.URL, Secret: "s"}},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	key := devnet.Key(devnet.Seed, "validator", 0)
	offender := crypto.PubkeyToAddress(key.PublicKey)
	vote := func(block common.Hash) *consensus.Vote {
		v := &consensus.Vote{Type: chain.VotePrecommit, Height: 3, Round: 1, BlockHash: block, Validator: offender}
		v.Sig, _ = crypto.Sign(v.SignHash("sovereign-devnet").Bytes(), key)
		return v
	}
	ev := consensus.Evidence{A: vote(common.Hash{1}), B: vote(common.Hash{2})}
	if err := n.driver.evidence.submit(ev); err != nil {
		t.Fatal(err)
	}

	client, err := gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	var list []rpc.Evidence
	deadline := time.Now().Add(15 * time.Second)
	for len(list) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("evidence never listed")
		}
		time.Sleep(50 * time.Millisecond)
		if err := client.Call(&list, "sov_listEvidence", rpc.EvidenceQuery{Offender: &offender}); err != nil {
			t.Fatal(err)
		}
	}
	e := list[0]
	if len(list) != 1 || e.Offender != offender || e.Name != "validator-0" || e.Vote != "precommit" || e.Height != 3 || e.Round != 1 ||
		e.Votes[0].BlockHash != (common.Hash{1}) || e.Votes[1].BlockHash != (common.Hash{2}) ||
		string(e.Votes[0].Signature) != string(ev.A.Sig) || string(e.Votes[1].Signature) != string(ev.B.Sig) ||
		e.Submitter != offender || e.IncludedAt == 0 || e.TxHash == (common.Hash{}) {
		t.Fatalf("listed evidence: %+v", list)
	}
	other := devnet.Address(devnet.Seed, "customer", 0)
	if err := client.Call(&list, "sov_listEvidence", rpc.EvidenceQuery{Offender: &other}); err != nil || len(list) != 0 {
		t.Fatalf("evidence against an innocent account: %v %+v", err, list)
	}
	if err := client.Call(&list, "sov_listEvidence", rpc.EvidenceQuery{Limit: rpc.MaxEvidenceLimit + 1}); err == nil {
		t.Fatal("limit over the bound accepted")
	}

	if got := scrape(t, n.MetricsURL())[`sovereign_evidence_total{offender="`+offender.Hex()+`"}`]; got != 1 {
		t.Fatalf("sovereign_evidence_total = %v, want 1", got)
	}

	timeout := time.After(15 * time.Second)
	for {
		select {
		case d := <-hooks:
			if d.Event.Kind != chain.EventEvidence {
				continue
			}
			if d.TxHash == nil || *d.TxHash != e.TxHash || len(d.Event.Accounts) != 2 || d.Event.Accounts[0] != offender ||
				d.Event.At != 3 || d.Event.Step != "precommit" || d.Event.Ref != "3/1" {
				t.Fatalf("evidence webhook: %+v", d)
			}
			return
		case <-timeout:
			t.Fatal("no evidence webhook")
		}
	}
}
