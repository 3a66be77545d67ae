package p2p

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/sovereign-ledger/sovereign/chain"
)

// txValidator checks gossiped transactions as the node's validator does
// (decodes, right chain, signed) and records every message it is shown, so
// a test can tell which node a message reached.
type txValidator struct {
	chainID string
	mu      sync.Mutex
	seen    map[common.Hash]bool
}

func newTxValidator(chainID string) *txValidator {
	return &txValidator{chainID: chainID, seen: map[common.Hash]bool{}}
}

func (v *txValidator) validate(data []byte) (any, error) {
	v.mu.Lock()
	v.seen[ethcrypto.Keccak256Hash(data)] = true
	v.mu.Unlock()
	tx, err := chain.DecodeTx(data)
	if err != nil {
		return nil, err
	}
	if tx.ChainID() != v.chainID {
		return nil, chain.ErrWrongChain
	}
	if _, err := tx.Signers(); err != nil {
		return nil, err
	}
	return tx, nil
}

func (v *txValidator) saw(data []byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.seen[ethcrypto.Keccak256Hash(data)]
}

func (v *txValidator) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.seen)
}

// inbox collects what a network delivers.
type inbox struct {
	mu  sync.Mutex
	got []Inbound
}

func collect(n *Network) *inbox {
	in := &inbox{}
	go func() {
		for m := range n.Messages() {
			in.mu.Lock()
			in.got = append(in.got, m)
			in.mu.Unlock()
		}
	}()
	return in
}

func (in *inbox) messages() []Inbound {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.got)
}

// has reports whether a transaction with hash h was delivered.
func (in *inbox) has(h common.Hash) bool {
	for _, m := range in.messages() {
		if tx, ok := m.Value.(*chain.Tx); ok && tx.Hash() == h {
			return true
		}
	}
	return false
}

func signedTx(t testing.TB, chainID string, nonce uint64, key *ecdsa.PrivateKey) *chain.Tx {
	t.Helper()
	tx := chain.NewTx(chainID, nonce, chain.Transfer{To: common.Address{2}, Asset: "CNY", Amount: 1 + nonce})
	if key != nil {
		if err := tx.Sign(key); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}

func txNetwork(t testing.TB, i int, v *txValidator) *Network {
	return startNetwork(t, i, func(c *Config) { c.Topics = map[Topic]Validator{TopicTxs: v.validate} })
}

// publishUntilSeen publishes fresh transactions of sender from n until one
// reaches in: relaying starts once the mesh has formed, which takes a
// heartbeat or two.
func publishUntilSeen(t *testing.T, n *Network, in *inbox, sender *ecdsa.PrivateKey) {
	t.Helper()
	var sent []common.Hash
	eventually(t, "a transaction relayed", func() bool {
		tx := signedTx(t, testChainID, uint64(len(sent)), sender)
		sent = append(sent, tx.Hash())
		publish(t, n, tx.Bytes())
		time.Sleep(100 * time.Millisecond)
		return slices.ContainsFunc(sent, in.has)
	})
}

func topicPeers(n *Network, t Topic) []peer.ID { return n.topics[t].ListPeers() }

func publish(t testing.TB, n *Network, data []byte) {
	t.Helper()
	if err := n.Publish(context.Background(), TopicTxs, data); err != nil {
		t.Fatal(err)
	}
}

// TestGossipValidatorGatesRelay: on a line a - b - c, a message b's validator
// refuses (malformed, unsigned, for another chain) is neither delivered at b
// nor relayed to c; a valid one reaches c through b with its decoded value.
// A node does not validate its own messages again.
func TestGossipValidatorGatesRelay(t *testing.T) {
	va, vb, vc := newTxValidator(testChainID), newTxValidator(testChainID), newTxValidator(testChainID)
	a, b, c := txNetwork(t, 0, va), txNetwork(t, 1, vb), txNetwork(t, 2, vc)
	inB, inC := collect(b), collect(c)
	mustConnect(t, a, b)
	mustConnect(t, c, b)
	eventually(t, "topic peers a-b-c", func() bool {
		return slices.Contains(topicPeers(a, TopicTxs), b.ID()) && slices.Contains(topicPeers(c, TopicTxs), b.ID()) &&
			len(topicPeers(b, TopicTxs)) == 2
	})
	if slices.Contains(a.Peers(), c.ID()) {
		t.Fatal("a and c are connected directly; the test needs b to relay")
	}

	// Valid transactions reach c once b's mesh includes it.
	sender := testKey(t, 100)
	publishUntilSeen(t, a, inC, sender)

	badSig := signedTx(t, testChainID, 1000, sender).Bytes()
	badSig[len(badSig)-1] = 7 // the recovery id, which must be 0 or 1
	bad := map[string][]byte{
		"malformed":         {0xc3, 0x01, 0x02},
		"truncated":         signedTx(t, testChainID, 1001, sender).Bytes()[:40],
		"unsigned":          signedTx(t, testChainID, 1002, nil).Bytes(),
		"wrong chain":       signedTx(t, "other-chain", 1003, sender).Bytes(),
		"invalid signature": badSig,
	}
	for name, data := range bad {
		if _, err := vb.validate(data); err == nil {
			t.Fatalf("%s: the test validator accepts it", name)
		}
		publish(t, a, data)
	}
	sentinel := signedTx(t, testChainID, 2000, sender)
	publish(t, a, sentinel.Bytes())
	eventually(t, "the sentinel at c", func() bool { return inC.has(sentinel.Hash()) })
	time.Sleep(300 * time.Millisecond) // anything relayed would have arrived with or soon after the sentinel
	for name, data := range bad {
		if !vb.saw(data) {
			t.Errorf("%s: never reached b's validator", name)
		}
		if vc.saw(data) {
			t.Errorf("%s: b relayed it to c", name)
		}
	}
	for _, in := range []*inbox{inB, inC} {
		for _, m := range in.messages() {
			if _, ok := m.Value.(*chain.Tx); !ok {
				t.Errorf("delivered %T, want only validated transactions", m.Value)
			}
		}
	}
	for _, m := range inC.messages() {
		if m.From != b.ID() || m.Topic != TopicTxs {
			t.Errorf("c got a message on %s from %s, want %s from b", m.Topic, m.From, TopicTxs)
		}
	}
	if va.count() != 0 {
		t.Errorf("a validated %d of its own messages", va.count())
	}
}

// TestResentMessageIsDelivered: gossip is unsigned and identified by its
// content (ADR 0013), yet a message sent again with the same bytes (the
// consensus core re-sends its votes and proposals unchanged; their ECDSA
// signatures are deterministic) is a new message: one whose first sending
// reached nobody, because the peers were not connected yet, arrives when
// it is sent again. Without the publication frame the seen-cache swallowed
// every re-send, and clusters stalled at start.
func TestResentMessageIsDelivered(t *testing.T) {
	a := txNetwork(t, 0, newTxValidator(testChainID))
	b := txNetwork(t, 1, newTxValidator(testChainID))
	inB := collect(b)
	tx := signedTx(t, testChainID, 1, testKey(t, 100))
	publish(t, a, tx.Bytes()) // to nobody yet
	mustConnect(t, a, b)
	eventually(t, "topic peers", func() bool { return len(topicPeers(a, TopicTxs)) == 1 && len(topicPeers(b, TopicTxs)) == 1 })
	if inB.has(tx.Hash()) {
		t.Fatal("b got a message sent before it was connected")
	}
	publish(t, a, tx.Bytes())
	eventually(t, "the re-sent transaction at b", func() bool { return inB.has(tx.Hash()) })
}

// TestGossipRefusesUnframed: a message without the publication frame is
// refused before the node's validator sees it.
func TestGossipRefusesUnframed(t *testing.T) {
	if _, err := unframe([]byte{1, 2, 3}); err == nil {
		t.Fatal("a 3-byte message passed as framed")
	}
	tx := signedTx(t, testChainID, 1, testKey(t, 100))
	var n Network
	got, err := unframe(n.frame(tx.Bytes()))
	if err != nil || !bytes.Equal(got, tx.Bytes()) {
		t.Fatalf("frame round trip: %x, %v", got, err)
	}
}

// TestOtherChainIsolated: topics and the sync protocol are named by chain,
// so a connected peer of another chain neither receives this chain's
// gossip nor its blocks.
func TestOtherChainIsolated(t *testing.T) {
	a := startNetwork(t, 0, func(c *Config) {
		c.Topics = map[Topic]Validator{TopicTxs: newTxValidator(testChainID).validate}
		c.Blocks = newMemSource(t, 2)
	})
	same := txNetwork(t, 1, newTxValidator(testChainID))
	otherV := newTxValidator("other-chain")
	other := startNetwork(t, 2, func(c *Config) {
		c.ChainID = "other-chain"
		c.Topics = map[Topic]Validator{TopicTxs: otherV.validate}
	})
	inSame, inOther := collect(same), collect(other)
	mustConnect(t, same, a)
	mustConnect(t, other, a)
	eventually(t, "a same-chain topic peer", func() bool { return slices.Contains(topicPeers(a, TopicTxs), same.ID()) })
	if slices.Contains(topicPeers(a, TopicTxs), other.ID()) {
		t.Fatal("a peer of another chain joined this chain's topic")
	}
	tx := signedTx(t, testChainID, 1, testKey(t, 100))
	publish(t, a, tx.Bytes())
	eventually(t, "the transaction at the same-chain peer", func() bool { return inSame.has(tx.Hash()) })
	time.Sleep(300 * time.Millisecond)
	if len(inOther.messages()) != 0 || otherV.count() != 0 {
		t.Fatal("a peer of another chain received this chain's gossip")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := other.FetchBlocks(ctx, a.ID(), 1, 2); err == nil {
		t.Fatal("a peer of another chain fetched this chain's blocks")
	}
	if got, err := same.FetchBlocks(ctx, a.ID(), 1, 2); err != nil || len(got) != 2 {
		t.Fatalf("same-chain peer fetched %d blocks: %v", len(got), err)
	}
}
