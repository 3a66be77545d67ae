package p2p

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

const testChainID = "p2p-test"

// testKey is a fixed secp256k1 key per index, so failures reproduce.
func testKey(t testing.TB, i int) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ethcrypto.ToECDSA(ethcrypto.Keccak256([]byte(fmt.Sprintf("p2p-test-key-%d", i))))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testPeerID(t testing.TB, key *ecdsa.PrivateKey) peer.ID {
	t.Helper()
	id, err := PeerID(key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// testValidators are the addresses of test keys 0..n-1.
func testValidators(t testing.TB, n int) []common.Address {
	out := make([]common.Address, n)
	for i := range out {
		out[i] = ethcrypto.PubkeyToAddress(testKey(t, i).PublicKey)
	}
	return out
}

// startNetwork starts a network on loopback for test key i; by default the
// gater admits test keys 0..7 and the chain is testChainID. edit adjusts the
// configuration before start.
func startNetwork(t testing.TB, i int, edit func(*Config)) *Network {
	t.Helper()
	cfg := Config{
		ChainID:    testChainID,
		Key:        testKey(t, i),
		Listen:     []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		Validators: testValidators(t, 8),
		Log:        slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// connect dials b from a.
func connect(ctx context.Context, a, b *Network) error {
	return a.host.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.host.Addrs()})
}

func mustConnect(t testing.TB, a, b *Network) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := connect(ctx, a, b); err != nil {
		t.Fatalf("connect %s to %s: %v", a.ID(), b.ID(), err)
	}
}

// eventually polls cond until it holds or a generous timeout (the machine
// may be loaded) passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// memSource is a chain of final blocks in memory, each with a certificate
// signed by the validators behind test keys 0..2.
type memSource struct {
	blocks []*chain.Block
	certs  []*chain.Certificate
}

func (m *memSource) HeadHeight() uint64 { return uint64(len(m.blocks)) }

func (m *memSource) BlockByHeight(h uint64) (*chain.Block, error) {
	if h == 0 || h > uint64(len(m.blocks)) {
		return nil, fmt.Errorf("no block %d", h)
	}
	return m.blocks[h-1], nil
}

func (m *memSource) Certificate(h uint64) (*chain.Certificate, error) {
	if h == 0 || h > uint64(len(m.certs)) {
		return nil, fmt.Errorf("no certificate %d", h)
	}
	return m.certs[h-1], nil
}

// certSigners is how many test keys sign each certificate.
const certSigners = 3

func testValidatorSet(t testing.TB) *chain.ValidatorSet {
	var vals []chain.Validator
	for _, a := range testValidators(t, certSigners) {
		vals = append(vals, chain.Validator{Address: a, Power: 1})
	}
	return chain.NewValidatorSet(vals)
}

// newMemSource builds n linked blocks, each carrying one signed transfer
// and its parent's certificate.
func newMemSource(t testing.TB, n int) *memSource {
	t.Helper()
	m := &memSource{}
	sender := testKey(t, 100)
	var parent common.Hash
	var last *chain.Certificate
	for h := uint64(1); h <= uint64(n); h++ {
		tx := chain.NewTx(testChainID, h-1, chain.Transfer{To: common.Address{1}, Asset: "CNY", Amount: h})
		if err := tx.Sign(sender); err != nil {
			t.Fatal(err)
		}
		b := &chain.Block{
			Header: &chain.Header{ChainID: testChainID, Height: h, Time: 1_700_000_000_000 + h, Parent: parent, TxRoot: ledger.TxRoot([]*chain.Tx{tx}), LastCommit: last},
			Txs:    []*chain.Tx{tx},
		}
		c := &chain.Certificate{Height: h, BlockHash: b.Hash()}
		sign := chain.VoteSignHash(testChainID, chain.VotePrecommit, h, 0, c.BlockHash)
		for i := 0; i < certSigners; i++ {
			key := testKey(t, i)
			sig, err := ethcrypto.Sign(sign[:], key)
			if err != nil {
				t.Fatal(err)
			}
			c.Sigs = append(c.Sigs, chain.CommitSig{Validator: ethcrypto.PubkeyToAddress(key.PublicKey), Sig: sig})
		}
		m.blocks = append(m.blocks, b)
		m.certs = append(m.certs, c)
		parent, last = b.Hash(), c
	}
	return m
}

// logCounter is a slog handler that counts records, for the refusal log.
type logCounter struct {
	mu sync.Mutex
	n  int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(context.Context, slog.Record) error {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
