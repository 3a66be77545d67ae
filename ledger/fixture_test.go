package ledger

import (
	"crypto/ecdsa"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// fixture is a small chain for tests: one validator, two banks, customers.
type fixture struct {
	t         testing.TB
	g         *chain.Genesis
	ledger    *Ledger
	validator *ecdsa.PrivateKey
	chain     *chain.HashChain
	banks     []*ecdsa.PrivateKey
	customers []*ecdsa.PrivateKey
	nonces    map[common.Address]uint64
	now       uint64
}

const testSeed = "sovereign-test-seed"

func testGenesis(customers int, hc *chain.HashChain) *chain.Genesis {
	bankA, bankB := devnet.Address(testSeed, "bank", 0), devnet.Address(testSeed, "bank", 1)
	g := &chain.Genesis{
		ChainID: "sovereign-test",
		Time:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Params:  chain.DefaultParams,
		Banks: []chain.GenesisBank{
			{Address: bankA, Name: "A", PubKey: crypto.FromECDSAPub(&devnet.Key(testSeed, "bank", 0).PublicKey)},
			{Address: bankB, Name: "B", PubKey: crypto.FromECDSAPub(&devnet.Key(testSeed, "bank", 1).PublicKey)},
		},
		Assets: []chain.GenesisAsset{
			{Symbol: "CNY", Decimals: 2, Issuers: []common.Address{bankA, bankB}},
			{Symbol: "USD", Decimals: 2, Issuers: []common.Address{bankB}},
		},
		Validators: []chain.GenesisValidator{{Address: devnet.Address(testSeed, "validator", 0), Power: 1, RevealTip: hc.Tip(), RevealLength: hc.Length()}},
	}
	for i := 0; i < customers; i++ {
		bank := bankA
		if i%2 == 1 {
			bank = bankB
		}
		g.Accounts = append(g.Accounts, chain.GenesisAccount{
			Address: devnet.Address(testSeed, "customer", i), Bank: bank,
			Balances: map[string]string{"CNY": "1000.00"},
		})
	}
	return g
}

func newFixture(t testing.TB, customers int, opts ...func(*chain.Genesis)) *fixture {
	t.Helper()
	f := openFixture(t, t.TempDir(), customers, opts...)
	t.Cleanup(func() { f.ledger.store.kv.Close() })
	return f
}

// openFixture opens (or creates) the fixture chain stored in dir, resuming
// nonces and time from what is committed.
func openFixture(t testing.TB, dir string, customers int, opts ...func(*chain.Genesis)) *fixture {
	t.Helper()
	g, hc := fixtureGenesis(t, customers, opts...)
	store, err := OpenLevelDB(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	return openFixtureOn(t, store, g, hc, customers)
}

// fixtureGenesis is the fixture's genesis and its validator's hash chain.
func fixtureGenesis(t testing.TB, customers int, opts ...func(*chain.Genesis)) (*chain.Genesis, *chain.HashChain) {
	hc := chain.NewHashChain(crypto.Keccak256Hash([]byte("test-hashchain")), 1<<16)
	g := testGenesis(customers, hc)
	for _, o := range opts {
		o(g)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g, hc
}

// newMemFixture is the fixture chain on the in-memory store.
func newMemFixture(t testing.TB, customers int, opts ...func(*chain.Genesis)) *fixture {
	g, hc := fixtureGenesis(t, customers, opts...)
	return openFixtureOn(t, NewMemStore(), g, hc, customers)
}

// openFixtureOn opens the fixture chain of genesis g on store.
func openFixtureOn(t testing.TB, store Store, g *chain.Genesis, hc *chain.HashChain, customers int) *fixture {
	t.Helper()
	l, err := OpenLedger(store, g)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, g: g, ledger: l, validator: devnet.Key(testSeed, "validator", 0), chain: hc, nonces: map[common.Address]uint64{}, now: l.Head().Time}
	for i := 0; i < 2; i++ {
		f.banks = append(f.banks, devnet.Key(testSeed, "bank", i))
	}
	for i := 0; i < customers; i++ {
		f.customers = append(f.customers, devnet.Key(testSeed, "customer", i))
	}
	for _, k := range append(f.banks, f.customers...) {
		if acct, ok, _ := l.Account(addr(k)); ok {
			f.nonces[addr(k)] = acct.Nonce
		}
	}
	return f
}

func addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// tx builds and signs a transaction with the sender's next nonce.
func (f *fixture) tx(from *ecdsa.PrivateKey, body chain.Body) *chain.Tx {
	return signNext(f.t, f.g.ChainID, f.nonces, from, body)
}

// signNext builds body into a transaction with from's next nonce in
// nonces, and signs it.
func signNext(t testing.TB, chainID string, nonces map[common.Address]uint64, from *ecdsa.PrivateKey, body chain.Body) *chain.Tx {
	a := addr(from)
	tx := chain.NewTx(chainID, nonces[a], body)
	nonces[a]++
	if err := tx.Sign(from); err != nil {
		t.Fatal(err)
	}
	return tx
}

// template is the next block's template for the single validator.
func (f *fixture) template() BlockTemplate {
	st := f.ledger.State()
	v, _ := st.Validator(addr(f.validator))
	reveal, err := f.chain.Reveal(v.Reveals + 1)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.templateWith(reveal)
}

// templateWith is the next block's template with a given reveal.
func (f *fixture) templateWith(reveal common.Hash) BlockTemplate {
	f.now += 1000
	var lc *chain.Certificate
	if h := f.ledger.Head(); h.Height > 0 {
		lc = f.certificate(h.Hash(), h.Height, h.Round)
	}
	return BlockTemplate{Time: f.now, Proposer: addr(f.validator), Reveal: reveal, LastCommit: lc}
}

// commitBlock builds and commits a block from a template.
func (f *fixture) commitBlock(tmpl BlockTemplate, txs ...*chain.Tx) (*chain.Block, *Execution, error) {
	b, ex, err := f.ledger.Build(tmpl, txs)
	if err != nil {
		return nil, nil, err
	}
	return b, ex, f.ledger.Commit(b, f.certificate(b.Hash(), b.Height(), b.Header.Round))
}

func (f *fixture) certificate(hash common.Hash, height uint64, round uint32) *chain.Certificate {
	sig, err := crypto.Sign(chain.VoteSignHash(f.g.ChainID, chain.VotePrecommit, height, round, hash).Bytes(), f.validator)
	if err != nil {
		f.t.Fatal(err)
	}
	return &chain.Certificate{Height: height, Round: round, BlockHash: hash, Sigs: []chain.CommitSig{{Validator: addr(f.validator), Sig: sig}}}
}

// block builds and commits a block of txs, returning it and its execution.
func (f *fixture) block(txs ...*chain.Tx) (*chain.Block, *Execution) {
	f.t.Helper()
	b, ex, err := f.commitBlock(f.template(), txs...)
	if err != nil {
		f.t.Fatal(err)
	}
	return b, ex
}

func (f *fixture) account(a common.Address) *chain.Account {
	acct, ok, err := f.ledger.Account(a)
	if err != nil || !ok {
		f.t.Fatalf("account %s: ok=%v err=%v", a, ok, err)
	}
	return acct
}

// genesisKV is the fixture's genesis state as an in-memory KV, for property
// tests that apply transactions without blocks.
func (f *fixture) genesisKV() MemKV {
	changes, err := genesisChanges(f.g)
	if err != nil {
		f.t.Fatal(err)
	}
	kv := MemKV{}
	kv.Apply(changes)
	return kv
}
