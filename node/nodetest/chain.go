// Package nodetest is a real single-validator chain in memory for tests of
// the RPC service, the wallet and the CLI: the node's own RPC adapter over
// the real ledger on ledger.MemStore and the real transaction pool. Blocks
// are sealed on demand (Seal) or after every admitted transaction
// (AutoSeal), with the validator's real reveals and commit certificates, so
// what a test sees is exactly what a node would serve. There is no second
// copy of the ledger rules here.
package nodetest

import (
	"crypto/ecdsa"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/rpc"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Keys are the chain's participants. All derive from fixed seeds: insecure.
type Keys struct {
	Validator *ecdsa.PrivateKey
	Bank      *ecdsa.PrivateKey // member bank, issuer of CNY, USD and JPY
	Alice     *ecdsa.PrivateKey // funded with 100.00 CNY
	Bob       *ecdsa.PrivateKey // registered, empty
	Carol     *ecdsa.PrivateKey // not registered
}

// Addr is the address of key.
func Addr(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }

// DevKey derives an insecure test key from name.
func DevKey(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("sovereign-rpctest-" + name)))
	if err != nil {
		panic(err)
	}
	return k
}

// ChainID of the test chain.
const ChainID = "rpctest"

// hashChain is the validator's reveal chain (insecure: its secret is public).
var hashChain = chain.NewHashChain(crypto.Keccak256Hash([]byte("sovereign-rpctest-hashchain")), 1<<12)

// Genesis builds the test chain's genesis and its keys.
func Genesis() (*chain.Genesis, Keys) {
	k := Keys{Validator: DevKey("validator"), Bank: DevKey("bank"), Alice: DevKey("alice"), Bob: DevKey("bob"), Carol: DevKey("carol")}
	bank := Addr(k.Bank)
	g := &chain.Genesis{
		ChainID: ChainID,
		Time:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Params:  chain.DefaultParams,
		Assets: []chain.GenesisAsset{
			{Symbol: "CNY", Decimals: 2, Issuers: []common.Address{bank}},
			{Symbol: "USD", Decimals: 2, Issuers: []common.Address{bank}},
			{Symbol: "JPY", Decimals: 0, Issuers: []common.Address{bank}},
		},
		Banks:      []chain.GenesisBank{{Address: bank, Name: "Test Bank", PubKey: crypto.FromECDSAPub(&k.Bank.PublicKey)}},
		Validators: []chain.GenesisValidator{{Address: Addr(k.Validator), Name: "v0", Power: 1, RevealTip: hashChain.Tip(), RevealLength: hashChain.Length()}},
		Accounts: []chain.GenesisAccount{
			{Address: Addr(k.Alice), Bank: bank, Name: "alice", Balances: map[string]string{"CNY": "100.00"}},
			{Address: Addr(k.Bob), Bank: bank, Name: "bob"},
		},
	}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	return g, k
}

// Chain is the in-memory chain. It implements rpc.Backend through the
// node's adapter; AutoSeal makes every admitted transaction final at once.
type Chain struct {
	*node.Backend
	fin   *node.Finalizer
	store *ledger.MemStore
	keys  Keys

	mu       sync.Mutex // serialises sealing
	AutoSeal bool
}

// New builds the test chain with its genesis block (height 0).
func New() (*Chain, Keys) {
	g, k := Genesis()
	store := ledger.NewMemStore()
	l, err := ledger.OpenLedger(store, g, ledger.WithoutReadCaches()) // Fail must reach every read
	if err != nil {
		panic(err)
	}
	pool := txpool.New(txpool.Config{}, g.ChainID, node.NewPoolView(l))
	fin := &node.Finalizer{Ledger: l, Pool: pool, Final: node.NewFinalSignal()}
	b := node.NewBackend(node.BackendParts{Ledger: l, Pool: pool, Final: fin.Final, Status: func() (uint32, common.Address, int) {
		return 0, Addr(k.Validator), 0
	}})
	return &Chain{Backend: b, fin: fin, store: store, keys: k}, k
}

// Fail makes every read and write of the store fail with err (nil heals it),
// to test how callers meet internal errors.
func (c *Chain) Fail(err error) { c.store.Fail(err) }

// Pending is how many transactions wait in the pool.
func (c *Chain) Pending() int { return c.Pool.Len() }

// SubmitTxs admits transactions as a node does and, with AutoSeal, makes
// the admitted ones final before returning.
func (c *Chain) SubmitTxs(txs []*chain.Tx) []error {
	errs := c.Backend.SubmitTxs(txs)
	if c.AutoSeal {
		c.Seal()
	}
	return errs
}

// Seal makes the pool's executable transactions into the next block, as the
// validator would propose it, and commits it with the validator's
// certificate. It panics on a storage failure (tests only).
func (c *Chain) Seal() *chain.Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.Ledger
	head := l.Head()
	vs, ok := l.State().Validator(Addr(c.keys.Validator))
	if !ok {
		panic("nodetest: validator state missing")
	}
	reveal, err := hashChain.Reveal(vs.Reveals + 1)
	if err != nil {
		panic(err)
	}
	var lastCommit *chain.Certificate
	if head.Height > 0 {
		lastCommit = c.certify(head.Hash(), head.Height)
	}
	p := l.Genesis().Params
	txs := c.Pool.Pending(p.BlockMaxTxs, p.BlockMaxBytes)
	b, ex, err := l.Build(ledger.BlockTemplate{Time: head.Time + 1000, Proposer: Addr(c.keys.Validator), Reveal: reveal, LastCommit: lastCommit}, txs)
	if err != nil {
		panic(err)
	}
	for _, d := range ex.Dropped {
		c.Pool.Remove(d.Tx.Hash(), d.Err)
	}
	if _, err := c.fin.Commit(b, c.certify(b.Hash(), b.Height())); err != nil {
		panic(err)
	}
	return b
}

// certify is the validator's precommit certificate for a block (round 0).
func (c *Chain) certify(hash common.Hash, height uint64) *chain.Certificate {
	sig, err := crypto.Sign(chain.VoteSignHash(ChainID, chain.VotePrecommit, height, 0, hash).Bytes(), c.keys.Validator)
	if err != nil {
		panic(err)
	}
	return &chain.Certificate{Height: height, BlockHash: hash, Sigs: []chain.CommitSig{{Validator: Addr(c.keys.Validator), Sig: sig}}}
}

// Serve runs the RPC service over the chain on a loopback HTTP server for
// the test's lifetime and returns its URL (WebSocket on the same address).
func (c *Chain) Serve(t testing.TB) string {
	srv := rpc.NewServer(c)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs.URL
}
