// Package chaingen builds real chains fast for the auditor's tests and
// benchmark: blocks made by the ledger's own block building (as a proposer
// builds them), produced by the sovereign-key holder of each height with its
// real hash-chain reveal, and made final by real certificates signed with
// the devnet validator keys. It skips the consensus rounds and the network,
// not any rule. The keys are the devnet's published insecure ones.
package chaingen

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// HashChainLength is the length of the validators' hash chains here:
// shorter than the devnet's (which take a second each to derive), enough
// for 16,000 blocks a validator.
const HashChainLength = 1 << 14

// BlockInterval is the block time step.
const BlockInterval = 1000 // ms

// Chain is a chain under construction.
type Chain struct {
	Ledger  *ledger.Ledger
	Genesis *chain.Genesis
	Keys    []*ecdsa.PrivateKey // validators
	// Signers is how many validators sign each certificate (default: all).
	Signers int
	// Round is the round the next block is produced in (its holder's turn,
	// as after Round silent holders); Next resets it to 0.
	Round  uint32
	hcs    []*chain.HashChain
	nonces map[common.Address]uint64
	last   *chain.Certificate // the head's certificate
}

var (
	memoMu     sync.Mutex
	hashChains = map[int]*chain.HashChain{}
	geneses    = map[int][]byte{}
)

// devHashChains derives the devnet validators' hash chains once per process
// (a million hashes each).
func devHashChains(n int) []*chain.HashChain {
	memoMu.Lock()
	defer memoMu.Unlock()
	out := make([]*chain.HashChain, n)
	for i := range out {
		if hashChains[i] == nil {
			hashChains[i] = chain.NewHashChain(devnet.HashChainSecret(devnet.Seed, i), HashChainLength)
		}
		out[i] = hashChains[i]
	}
	return out
}

// Genesis is the devnet genesis with n validators (the devnet's keys and
// hash-chain secrets, chains of HashChainLength), a 5 s protection period
// and a 3 s feedback deadline, so locks mature and records go overdue in a
// short chain.
// Each call returns a fresh copy (the validators' tips are derived once).
func Genesis(n int) *chain.Genesis {
	memoMu.Lock()
	raw, ok := geneses[n]
	memoMu.Unlock()
	if !ok {
		g := devnet.DefaultGenesis(0)
		for i, hc := range devHashChains(n) {
			g.Validators = append(g.Validators, chain.GenesisValidator{Address: devnet.Address(devnet.Seed, "validator", i),
				Name: fmt.Sprintf("validator-%d", i), Power: 1, RevealTip: hc.Tip(), RevealLength: hc.Length()})
		}
		g.Params.ProtectionPeriod = chain.Duration(5 * time.Second)
		g.Params.FeedbackDeadline = chain.Duration(3 * time.Second)
		var err error
		if raw, err = json.Marshal(g); err != nil {
			panic(err)
		}
		memoMu.Lock()
		geneses[n] = raw
		memoMu.Unlock()
	}
	g, err := chain.ParseGenesis(raw)
	if err != nil {
		panic(err)
	}
	return g
}

// New starts a chain of genesis g (validators from the devnet keys) on store.
func New(store ledger.Store, g *chain.Genesis) (*Chain, error) {
	l, err := ledger.OpenLedger(store, g)
	if err != nil {
		return nil, err
	}
	c := &Chain{Ledger: l, Genesis: g, hcs: devHashChains(len(g.Validators)), nonces: map[common.Address]uint64{}}
	for i := range g.Validators {
		c.Keys = append(c.Keys, devnet.Key(devnet.Seed, "validator", i))
	}
	c.Signers = len(c.Keys)
	return c, nil
}

// Nonce returns and advances the next nonce the generator uses for a key.
func (c *Chain) Nonce(k *ecdsa.PrivateKey) uint64 {
	a := crypto.PubkeyToAddress(k.PublicKey)
	n := c.nonces[a]
	c.nonces[a] = n + 1
	return n
}

// Sign signs a body with key at its next nonce.
func (c *Chain) Sign(k *ecdsa.PrivateKey, body chain.Body) *chain.Tx {
	tx := chain.NewTx(c.Genesis.ChainID, c.Nonce(k), body)
	if err := tx.Sign(k); err != nil {
		panic(err)
	}
	return tx
}

// Customer is devnet customer i's key.
func Customer(i int) *ecdsa.PrivateKey { return devnet.Key(devnet.Seed, "customer", i) }

// Bank is devnet bank i's key.
func Bank(i int) *ecdsa.PrivateKey { return devnet.Key(devnet.Seed, "bank", i) }

// Transfers signs n transfers of one minor unit of CNY among the devnet
// customers, round robin, on every core.
func (c *Chain) Transfers(n int) []*chain.Tx {
	keys := make([]*ecdsa.PrivateKey, n)
	bodies := make([]chain.Body, n)
	for i := range keys {
		from := i % devnet.Customers
		to := (from + 1) % devnet.Customers
		keys[i] = Customer(from)
		bodies[i] = chain.Transfer{To: crypto.PubkeyToAddress(Customer(to).PublicKey), Asset: "CNY", Amount: 1}
	}
	return c.SignMany(keys, bodies)
}

// SignMany signs bodies[i] with keys[i], each at the key's next nonce in
// the order given, on every core.
func (c *Chain) SignMany(keys []*ecdsa.PrivateKey, bodies []chain.Body) []*chain.Tx {
	txs := make([]*chain.Tx, len(bodies))
	for i, b := range bodies {
		txs[i] = chain.NewTx(c.Genesis.ChainID, c.Nonce(keys[i]), b)
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				if err := txs[i].Sign(keys[i]); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	return txs
}

// Certify is the certificate for a block signed by the first Signers
// validators at round 0.
func (c *Chain) Certify(hash common.Hash, height uint64, round uint32) *chain.Certificate {
	return Certify(c.Genesis.ChainID, c.Keys[:c.Signers], hash, height, round)
}

// Certify signs a certificate for a block with keys.
func Certify(chainID string, keys []*ecdsa.PrivateKey, hash common.Hash, height uint64, round uint32) *chain.Certificate {
	cert := &chain.Certificate{Height: height, Round: round, BlockHash: hash}
	for _, k := range keys {
		sig, err := crypto.Sign(chain.VoteSignHash(chainID, chain.VotePrecommit, height, round, hash).Bytes(), k)
		if err != nil {
			panic(err)
		}
		cert.Sigs = append(cert.Sigs, chain.CommitSig{Validator: crypto.PubkeyToAddress(k.PublicKey), Sig: sig})
	}
	return cert
}

// Next builds the next block from txs, produced by the round-0 key holder
// with its next reveal, and commits it with its certificate. Every
// transaction must be includable.
func (c *Chain) Next(txs []*chain.Tx) (*chain.Block, error) {
	l := c.Ledger
	head := l.Head()
	st := l.State()
	round := c.Round
	c.Round = 0
	holder := c.Genesis.ValidatorSet().Holder(st.Seed(), round)
	idx := -1
	for i, k := range c.Keys {
		if crypto.PubkeyToAddress(k.PublicKey) == holder {
			idx = i
		}
	}
	vstate, ok := st.Validator(holder)
	if idx < 0 || !ok {
		return nil, fmt.Errorf("holder %s is not a generator validator", holder)
	}
	reveal, err := c.hcs[idx].Reveal(vstate.Reveals + 1)
	if err != nil {
		return nil, err
	}
	b, ex, err := l.Build(ledger.BlockTemplate{Round: round, Time: head.Time + BlockInterval, Proposer: holder, Reveal: reveal, LastCommit: c.last}, txs)
	if err != nil {
		return nil, err
	}
	if len(ex.Dropped) > 0 {
		return nil, fmt.Errorf("block %d dropped tx %s: %w", b.Height(), ex.Dropped[0].Tx.Hash(), ex.Dropped[0].Err)
	}
	cert := c.Certify(b.Hash(), b.Height(), round)
	if err := l.Commit(b, cert); err != nil {
		return nil, err
	}
	c.last = cert
	return b, nil
}

// Final is the head block's certificate.
func (c *Chain) Final() *chain.Certificate { return c.last }

// Export writes the chain as a chain file.
func (c *Chain) Export(w io.Writer) error {
	fw, err := chainfile.NewWriter(w, c.Genesis)
	if err != nil {
		return err
	}
	db := c.Ledger.DB()
	for h := uint64(1); h <= c.Ledger.Head().Height; h++ {
		raw, err := db.RawBlock(h)
		if err != nil {
			return err
		}
		if err := fw.WriteRawBlock(raw); err != nil {
			return err
		}
	}
	return fw.Finish(c.last)
}

// WriteTransfers builds a chain of n transfers, perBlock to a block, on the
// 4-validator devnet genesis in a replay store (memory follows the state,
// not the chain) and streams it to w as a chain file.
func WriteTransfers(w io.Writer, n, perBlock int) error {
	g := Genesis(4)
	c, err := New(ledger.NewReplayStore(), g)
	if err != nil {
		return err
	}
	fw, err := chainfile.NewWriter(w, g)
	if err != nil {
		return err
	}
	for done := 0; done < n; done += perBlock {
		b, err := c.Next(c.Transfers(min(perBlock, n-done)))
		if err != nil {
			return err
		}
		if err := fw.WriteBlock(b); err != nil {
			return err
		}
	}
	return fw.Finish(c.Final())
}
