package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/wallet"
)

type govProposal struct {
	ID          common.Hash `json:"id"`
	Status      string      `json:"status"`
	ApprovedAt  uint64      `json:"approved_at"`
	EffectiveAt uint64      `json:"effective_at"`
}

type govSet struct {
	Height     uint64 `json:"height"`
	Validators []struct {
		Address common.Address `json:"address"`
		Power   uint64         `json:"power"`
	} `json:"validators"`
}

// TestGovernanceCluster runs a 4-validator devnet of real processes while
// it carries transfers and, by governance:
//
//  1. grows to 5: `sovereign governance propose --add-validator KEYFILE`
//     and two votes; the new validator's node starts, catches up and signs
//     certificates from the effective height on;
//  2. rotates validator 3's key: the old key's node stops after the
//     effective height and a node with the new key takes its place;
//  3. shrinks back to 4: evidence that validator 4 equivocated (two
//     conflicting precommits signed with its key, submitted by a customer)
//     opens its removal, the other validators' nodes vote for it by
//     themselves, and from the effective height node 4 is disconnected and
//     can no longer connect, while the chain goes on without it.
//
// At the end every transfer is final exactly once and the nodes agree on
// block hashes and state roots.
func TestGovernanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process cluster test")
	}
	c := newClusterWith(t, 4, nil, 7) // ports for validators 0-5
	l := c.procs.Layout
	for _, i := range []int{4, 5} { // keys of the validator that joins and of the rotated key
		if err := devnet.WriteValidatorFiles(l, i); err != nil {
			t.Fatal(err)
		}
	}
	ks := filepath.Join(t.TempDir(), "keystore")
	for i := 0; i < 6; i++ {
		if _, err := wallet.ImportKey(ks, devnet.Key(devnet.Seed, "validator", i), devnet.Password, wallet.LightScrypt()); err != nil {
			t.Fatal(err)
		}
	}
	val := func(i int) string { return devnet.Address(devnet.Seed, "validator", i).Hex() }
	live := []string{c.rpc(0), c.rpc(1), c.rpc(2)}
	c.waitHeight(2, 60*time.Second, live...)
	g, err := chain.LoadGenesis(l.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	transfers := newTransferStream(t, g.ChainID, live)
	transfers.send(40)

	signer := func(rpcURL string, from int) []string {
		return []string{"--rpc", rpcURL, "--keystore", ks, "--password-file", l.PasswordFile(), "--from", val(from)}
	}
	var approvedAt time.Time
	approve := func(id string, voters ...int) govProposal {
		t.Helper()
		for _, v := range voters {
			mustRun(t, append([]string{"governance", "vote", "--proposal", id, "--wait"}, signer(live[v%3], v)...)...)
		}
		var p govProposal
		if err := rpcCall(c.rpc(0), "sov_getProposal", []any{id}, &p); err != nil {
			t.Fatal(err)
		}
		if p.Status != "approved" || p.EffectiveAt < p.ApprovedAt+2 {
			t.Fatalf("proposal %s after votes %v: %+v", id, voters, p)
		}
		approvedAt = time.Now()
		return p
	}
	// effect waits for p's effective block on node 0 and logs the time from
	// approval to effect: from the approving vote final (its --wait
	// returned) to the effective block final.
	effect := func(p govProposal) {
		t.Helper()
		c.waitHeight(p.EffectiveAt, 60*time.Second, c.rpc(0))
		t.Logf("approval to effect: approved at %d, effective at %d, %v later", p.ApprovedAt, p.EffectiveAt, time.Since(approvedAt).Round(time.Millisecond))
	}

	// 1. Grow to 5.
	id := mustRun(t, append([]string{"governance", "propose", "--add-validator", l.ValidatorKey(4), "--power", "1",
		"--hash-chain-file", l.HashChainFile(4)}, signer(c.rpc(0), 0)...)...)
	added := approve(id, 1, 2)
	args, err := c.procs.Args(4)
	if err != nil {
		t.Fatal(err)
	}
	c.startArgs(4, args) // before the effective height: it connects (approved to join) and catches up
	effect(added)
	c.waitHeight(added.EffectiveAt+3, 90*time.Second, append(live, c.rpc(4))...)
	assertSetSize(t, c.rpc(0), added.EffectiveAt-1, 4)
	assertSetSize(t, c.rpc(0), added.EffectiveAt, 5)
	waitSigned(t, c, c.rpc(0), devnet.Address(devnet.Seed, "validator", 4), added.EffectiveAt)
	transfers.send(40)

	// 2. Rotate validator 3's key to key 5.
	id = mustRun(t, append([]string{"governance", "propose", "--rotate-key", val(3) + "=" + l.ValidatorKey(5),
		"--hash-chain-file", l.HashChainFile(5)}, signer(c.rpc(1), 1)...)...)
	rotated := approve(id, 0, 2, 4) // 4 of 5
	effect(rotated)
	c.waitHeight(rotated.EffectiveAt, 90*time.Second, live...)
	c.kill(3) // the old key's node: it signs nothing from the effective height on anyway
	if args, err = c.procs.Args(5); err != nil {
		t.Fatal(err)
	}
	c.startArgs(5, args)
	c.waitHeight(rotated.EffectiveAt+3, 90*time.Second, append(live, c.rpc(5))...)
	waitSigned(t, c, c.rpc(0), devnet.Address(devnet.Seed, "validator", 5), rotated.EffectiveAt)
	transfers.send(40)

	// 3. Evidence against validator 4 removes it: the validators' nodes
	// vote for the removal by themselves.
	offender := devnet.Key(devnet.Seed, "validator", 4)
	vote := func(block common.Hash) chain.SignedVote {
		v := chain.SignedVote{Type: chain.VotePrecommit, Height: added.EffectiveAt, Round: 5, BlockHash: block, Validator: crypto.PubkeyToAddress(offender.PublicKey)}
		v.Sig, _ = crypto.Sign(v.SignHash(g.ChainID).Bytes(), offender)
		return v
	}
	evTx := transfers.signed(chain.Evidence{A: vote(common.Hash{1}), B: vote(common.Hash{2})})
	var h common.Hash
	if err := rpcCall(c.rpc(0), "sov_sendRawTransaction", []any{hexutil.Bytes(evTx.Bytes())}, &h); err != nil {
		t.Fatal(err)
	}
	pid := chain.EvidenceProposalID(chain.EvidenceKey(crypto.PubkeyToAddress(offender.PublicKey), added.EffectiveAt, 5, chain.VotePrecommit))
	var removal govProposal
	deadline := time.Now().Add(60 * time.Second)
	for removal.EffectiveAt == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the evidence's removal proposal %s was not approved by the nodes' own votes: %+v", pid.Hex(), removal)
		}
		time.Sleep(200 * time.Millisecond)
		_ = rpcCall(c.rpc(0), "sov_getProposal", []any{pid}, &removal)
	}
	c.waitHeight(removal.EffectiveAt+3, 90*time.Second, append(live, c.rpc(5))...)
	assertSetSize(t, c.rpc(0), removal.EffectiveAt, 4)
	// Node 4 is cut off: no peers, and its chain stops while the others go on.
	time.Sleep(3 * time.Second)
	ci4, err := c.info(c.rpc(4))
	if err != nil {
		t.Fatal(err)
	}
	if ci4.PeerCount != 0 {
		t.Fatalf("the removed validator's node still has %d peers", ci4.PeerCount)
	}
	transfers.send(40)
	transfers.waitFinal()
	head, _ := c.info(c.rpc(0))
	c.waitHeight(head.FinalHeight, 60*time.Second, live[1:]...)
	if later, _ := c.info(c.rpc(4)); later.FinalHeight >= head.FinalHeight || later.PeerCount != 0 {
		t.Fatalf("the removed node follows the chain: at %d with %d peers, the chain at %d", later.FinalHeight, later.PeerCount, head.FinalHeight)
	}
	if !strings.Contains(c.logs[0].String(), "no longer a validator") {
		t.Fatal("node 0 did not log disconnecting the removed validator")
	}
	for hgt := uint64(1); hgt <= head.FinalHeight; hgt++ {
		want := c.block(c.rpc(0), hgt)
		for _, u := range append(live[1:], c.rpc(5)) {
			if got := c.block(u, hgt); got != want {
				t.Fatalf("height %d: %s has %+v, node 0 %+v", hgt, u, got, want)
			}
		}
	}
	t.Logf("grew at %d, rotated at %d, shrank at %d; %d transfers final; head %d", added.EffectiveAt, rotated.EffectiveAt, removal.EffectiveAt, transfers.count, head.FinalHeight)
}

func assertSetSize(t *testing.T, url string, height uint64, want int) {
	t.Helper()
	var vs govSet
	if err := rpcCall(url, "sov_getValidators", []any{hexutil.Uint64(height)}, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs.Validators) != want {
		t.Fatalf("set at %d has %d validators, want %d: %+v", height, len(vs.Validators), want, vs)
	}
}

// waitSigned waits until a certificate from height from on carries v's
// signature: the validator takes part in consensus.
func waitSigned(t *testing.T, c *cluster, url string, v common.Address, from uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	next := from + 1
	for time.Now().Before(deadline) {
		ci, err := c.info(url)
		for err == nil && next <= ci.FinalHeight {
			var b struct {
				Certificate *struct {
					Signatures []struct {
						Validator common.Address `json:"validator"`
					} `json:"signatures"`
				} `json:"certificate"`
			}
			if err := rpcCall(url, "sov_getBlockByNumber", []any{next}, &b); err != nil {
				t.Fatal(err)
			}
			if b.Certificate != nil {
				for _, s := range b.Certificate.Signatures {
					if s.Validator == v {
						return
					}
				}
			}
			next++
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s signed no certificate from height %d on", v.Hex(), from)
}

// transferStream sends transfers between the devnet customers round robin
// over the live nodes, and waits for them all to be final.
type transferStream struct {
	t       *testing.T
	chainID string
	urls    []string
	nonces  map[int]uint64
	count   int
	last    []common.Hash
}

func newTransferStream(t *testing.T, chainID string, urls []string) *transferStream {
	return &transferStream{t: t, chainID: chainID, urls: urls, nonces: map[int]uint64{}}
}

func (s *transferStream) send(n int) {
	s.t.Helper()
	for i := 0; i < n; i++ {
		from := s.count % devnet.Customers
		to := devnet.Address(devnet.Seed, "customer", (from+1)%devnet.Customers)
		tx := chain.NewTx(s.chainID, s.nonces[from], chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if err := tx.Sign(devnet.Key(devnet.Seed, "customer", from)); err != nil {
			s.t.Fatal(err)
		}
		var h common.Hash
		if err := rpcCall(s.urls[s.count%len(s.urls)], "sov_sendRawTransaction", []any{hexutil.Bytes(tx.Bytes())}, &h); err != nil {
			s.t.Fatalf("transfer %d: %v", s.count, err)
		}
		s.nonces[from]++
		s.count++
		s.last = append(s.last, h)
	}
}

// signed signs body with customer 0's key and next nonce (evidence may come
// from any registered account).
func (s *transferStream) signed(body chain.Body) *chain.Tx {
	tx := chain.NewTx(s.chainID, s.nonces[0], body)
	if err := tx.Sign(devnet.Key(devnet.Seed, "customer", 0)); err != nil {
		s.t.Fatal(err)
	}
	s.nonces[0]++
	return tx
}

// waitFinal waits until every transfer sent is final with success.
func (s *transferStream) waitFinal() {
	s.t.Helper()
	for _, h := range s.last {
		var tx struct {
			Status string `json:"status"`
			Code   string `json:"code"`
		}
		if err := rpcCall(s.urls[0], "sov_waitTransaction", []any{h, 60000}, &tx); err != nil || tx.Status != "final" || tx.Code != "" {
			s.t.Fatalf("transfer %s: %+v %v", h.Hex(), tx, err)
		}
	}
}
