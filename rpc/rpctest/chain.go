// Package rpctest is an in-memory twin of a node as seen by the RPC service:
// an rpc.Backend with a toy ledger (transfer, mint, burn, register_account),
// real signatures, real blocks, receipts, commit certificates and a real
// Merkle-Patricia state trie with proofs. Tests of rpc, wallet and the CLI run
// a real HTTP server over it. It is not the ledger: its rules are only as
// close to chain's as the client tests need.
package rpctest

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Keys are the fixture's participants. All derive from fixed seeds: insecure.
type Keys struct {
	Validator *ecdsa.PrivateKey
	Bank      *ecdsa.PrivateKey // member bank, issuer of CNY and USD
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

// ChainID of the fixture.
const ChainID = "rpctest"

// Genesis builds the fixture's genesis and its keys.
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
		Banks:      []chain.GenesisBank{{Address: bank, Name: "Test Bank"}},
		Validators: []chain.GenesisValidator{{Address: Addr(k.Validator), Name: "v0", Power: 1, RevealTip: crypto.Keccak256Hash([]byte("tip")), RevealLength: 1 << 20}},
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

type txLoc struct {
	height uint64
	index  int
}

// Chain is the in-memory backend. The zero value is not usable: call New.
type Chain struct {
	// AutoSeal seals a block right after every admitted transaction, so a
	// submitted transaction is final when SubmitTx returns.
	AutoSeal bool

	mu        sync.Mutex
	g         *chain.Genesis
	keys      Keys
	state     map[common.Address]*chain.Account
	pending   []*chain.Tx
	rejected  map[common.Hash]rpc.TxLookup
	blocks    []*chain.Block
	certs     []*chain.Certificate
	receipts  [][]*chain.Receipt
	index     map[common.Hash]txLoc
	head      *trie.Trie
	finalized chan struct{} // closed and replaced when a block becomes final
	err       error
	peers     int
	pendNonce bool
}

// New builds the fixture chain with its genesis block (height 0).
func New() (*Chain, Keys) {
	g, k := Genesis()
	c := &Chain{
		g: g, keys: k, state: make(map[common.Address]*chain.Account),
		rejected: make(map[common.Hash]rpc.TxLookup), index: make(map[common.Hash]txLoc),
		finalized: make(chan struct{}),
	}
	for _, b := range g.Banks {
		c.state[b.Address] = &chain.Account{Bank: b.Address}
	}
	for _, a := range g.Accounts {
		acct := &chain.Account{Bank: a.Bank}
		for sym, v := range a.Balances {
			units, err := chain.ParseAmount(v, c.decimals(sym))
			if err != nil {
				panic(err)
			}
			acct.SetBalance(chain.Balance{Asset: sym, Available: units})
		}
		c.state[a.Address] = acct
	}
	c.commit(nil, nil)
	return c, k
}

// Fail makes every read fail with err (nil restores), to test internal errors.
func (c *Chain) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// ReportPendingNonce switches the optional rpc.PendingNoncer extension on.
func (c *Chain) ReportPendingNonce(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pendNonce = on
}

func (c *Chain) knownAsset(sym string) bool {
	for _, a := range c.g.Assets {
		if a.Symbol == sym {
			return true
		}
	}
	return false
}

func (c *Chain) isBank(a common.Address) bool {
	for _, b := range c.g.Banks {
		if b.Address == a {
			return true
		}
	}
	return false
}

func (c *Chain) decimals(sym string) uint8 {
	for _, a := range c.g.Assets {
		if a.Symbol == sym {
			return a.Decimals
		}
	}
	return 0
}

// Genesis implements rpc.Backend.
func (c *Chain) Genesis() *chain.Genesis { return c.g }

// SubmitTx implements rpc.Backend: signature, chain id, sender, nonce and (for
// this one transaction alone) funds are checked; a refusal is remembered.
func (c *Chain) SubmitTx(tx *chain.Tx) error {
	c.mu.Lock()
	err := c.admit(tx)
	if err != nil {
		if !errors.Is(err, chain.ErrAlreadyKnown) {
			c.rejected[tx.Hash()] = rpc.TxLookup{Tx: tx, Status: "rejected", Code: chain.CodeOf(err)}
		}
	} else {
		c.pending = append(c.pending, tx)
	}
	auto := c.AutoSeal
	c.mu.Unlock()
	if err == nil && auto {
		c.Seal()
	}
	return err
}

func (c *Chain) admit(tx *chain.Tx) error {
	hash := tx.Hash()
	if _, ok := c.index[hash]; ok {
		return chain.ErrAlreadyKnown
	}
	for _, p := range c.pending {
		if p.Hash() == hash {
			return chain.ErrAlreadyKnown
		}
	}
	if tx.ChainID() != c.g.ChainID {
		return fmt.Errorf("%w: chain %q, want %q", chain.ErrWrongChain, tx.ChainID(), c.g.ChainID)
	}
	sender, err := tx.Sender()
	if err != nil {
		return err
	}
	acct, ok := c.state[sender]
	if !ok {
		return fmt.Errorf("%w: sender %s", chain.ErrUnknownAccount, sender)
	}
	want := c.pendingNonce(sender, acct)
	switch {
	case tx.Nonce() < want:
		return fmt.Errorf("%w: nonce %d, want %d", chain.ErrBadNonce, tx.Nonce(), want)
	case tx.Nonce() > want:
		return fmt.Errorf("%w: nonce %d, want %d", chain.ErrNonceTooHigh, tx.Nonce(), want)
	}
	if asset, amount := tx.Debit(); amount > acct.Balance(asset).Available {
		return fmt.Errorf("%w: %s has %d %s, needs %d", chain.ErrInsufficientFunds, sender, acct.Balance(asset).Available, asset, amount)
	}
	return nil
}

func (c *Chain) pendingNonce(sender common.Address, acct *chain.Account) uint64 {
	n := acct.Nonce
	for _, p := range c.pending {
		if s, _ := p.Sender(); s == sender {
			n++
		}
	}
	return n
}

// PendingNonce implements rpc.PendingNoncer when switched on.
func (c *Chain) PendingNonce(addr common.Address) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	acct, ok := c.state[addr]
	if !c.pendNonce || !ok {
		return 0, false
	}
	return c.pendingNonce(addr, acct), true
}

// Pending returns the number of transactions waiting for a block.
func (c *Chain) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Seal makes the pending transactions into the next block, applies them,
// certifies the block and makes it final.
func (c *Chain) Seal() *chain.Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	txs := c.pending
	c.pending = nil
	receipts := make([]*chain.Receipt, len(txs))
	for i, tx := range txs {
		receipts[i] = &chain.Receipt{TxHash: tx.Hash(), Code: chain.CodeOf(c.apply(tx))}
	}
	return c.commit(txs, receipts)
}

// commit appends a block over the current state and finalizes it.
func (c *Chain) commit(txs []*chain.Tx, receipts []*chain.Receipt) *chain.Block {
	tr := trie.NewEmpty(nil)
	for addr, acct := range c.state {
		enc, err := rlp.EncodeToBytes(acct)
		if err != nil {
			panic(err)
		}
		tr.MustUpdate(crypto.Keccak256(chain.AccountKey(addr)), enc)
	}
	c.head = tr
	height := uint64(len(c.blocks))
	h := &chain.Header{
		ChainID: c.g.ChainID, Height: height, Time: uint64(c.g.Time.UnixMilli()) + height*1000,
		Proposer: Addr(c.keys.Validator), Reveal: crypto.Keccak256Hash([]byte{byte(height)}),
		TxRoot: chain.TxRoot(txs), ReceiptRoot: chain.ReceiptRoot(receipts), StateRoot: tr.Hash(),
		ValidatorsHash: c.g.ValidatorSet().Hash(),
	}
	if height > 0 {
		parent := c.blocks[height-1]
		h.Parent = parent.Hash()
		h.LastCommit = c.certs[height-1]
	}
	b := &chain.Block{Header: h, Txs: txs}
	var cert *chain.Certificate
	if height > 0 {
		cert = &chain.Certificate{Height: height, BlockHash: b.Hash()}
		sig, err := crypto.Sign(chain.VoteSignHash(c.g.ChainID, chain.VotePrecommit, height, 0, b.Hash()).Bytes(), c.keys.Validator)
		if err != nil {
			panic(err)
		}
		cert.Sigs = []chain.CommitSig{{Validator: Addr(c.keys.Validator), Sig: sig}}
	}
	for i, tx := range txs {
		c.index[tx.Hash()] = txLoc{height, i}
	}
	c.blocks, c.certs, c.receipts = append(c.blocks, b), append(c.certs, cert), append(c.receipts, receipts)
	close(c.finalized)
	c.finalized = make(chan struct{})
	return b
}

// apply runs the toy ledger rules; a rejection still spends the nonce.
func (c *Chain) apply(tx *chain.Tx) error {
	sender, err := tx.Sender()
	if err != nil {
		return err
	}
	from, ok := c.state[sender]
	if !ok {
		return chain.ErrUnknownAccount
	}
	if tx.Nonce() != from.Nonce {
		return chain.ErrBadNonce
	}
	from.Nonce++
	issuer := func(asset string) error {
		for _, a := range c.g.Assets {
			if a.Symbol == asset {
				if ai := (chain.AssetInfo{Issuers: a.Issuers}); !ai.IsIssuer(sender) {
					return chain.ErrNotIssuer
				}
				return nil
			}
		}
		return chain.ErrUnknownAsset
	}
	switch b := tx.Body().(type) {
	case chain.Transfer:
		return c.move(from, b.To, b.Asset, b.Amount, true)
	case chain.Mint:
		if err := issuer(b.Asset); err != nil {
			return err
		}
		return c.move(nil, b.To, b.Asset, b.Amount, true)
	case chain.Burn:
		if err := issuer(b.Asset); err != nil {
			return err
		}
		return c.move(from, common.Address{}, b.Asset, b.Amount, false)
	case chain.RegisterAccount:
		if !c.isBank(sender) {
			return chain.ErrNotBank
		}
		if _, ok := c.state[b.Account]; ok {
			return chain.ErrAccountExists
		}
		c.state[b.Account] = &chain.Account{Bank: sender}
		return nil
	}
	return chain.ErrUnknownType
}

// move debits from (unless nil) and credits to (if credit).
func (c *Chain) move(from *chain.Account, to common.Address, asset string, amount uint64, credit bool) error {
	if amount == 0 {
		return chain.ErrZeroAmount
	}
	if !c.knownAsset(asset) {
		return chain.ErrUnknownAsset
	}
	var dst *chain.Account
	if credit {
		var ok bool
		if dst, ok = c.state[to]; !ok {
			return chain.ErrUnknownAccount
		}
		if dst == from {
			return chain.ErrSelfTransfer
		}
	}
	if from != nil {
		bal := from.Balance(asset)
		if bal.Available < amount {
			return chain.ErrInsufficientFunds
		}
		bal.Available -= amount
		from.SetBalance(bal)
	}
	if dst != nil {
		bal := dst.Balance(asset)
		if bal.Available+amount < bal.Available {
			return chain.ErrOverflow
		}
		bal.Available += amount
		dst.SetBalance(bal)
	}
	return nil
}

// LookupTx implements rpc.Backend.
func (c *Chain) LookupTx(hash common.Hash) (rpc.TxLookup, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return rpc.TxLookup{}, false, c.err
	}
	if loc, ok := c.index[hash]; ok {
		r := c.receipts[loc.height][loc.index]
		l := rpc.TxLookup{Tx: c.blocks[loc.height].Txs[loc.index], Status: "final", Code: r.Code, Height: loc.height, Index: loc.index, Receipt: r}
		if !r.OK() {
			l.Status = "rejected" // in the block, refused by the ledger (as node reports it)
		}
		return l, true, nil
	}
	for _, p := range c.pending {
		if p.Hash() == hash {
			return rpc.TxLookup{Tx: p, Status: "pending"}, true, nil
		}
	}
	l, ok := c.rejected[hash]
	return l, ok, nil
}

// BlockByNumber implements rpc.Backend.
func (c *Chain) BlockByNumber(height uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, nil, nil, c.err
	}
	if height >= uint64(len(c.blocks)) {
		return nil, nil, nil, fmt.Errorf("block %d: %w", height, chain.ErrNotFound)
	}
	return c.blocks[height], c.certs[height], c.receipts[height], nil
}

// Account implements rpc.Backend.
func (c *Chain) Account(addr common.Address) (*chain.Account, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, false, c.err
	}
	a, ok := c.state[addr]
	if !ok {
		return nil, false, nil
	}
	return a.Copy(), true, nil
}

// proofNodes collects proof nodes in the order Prove writes them (root first).
type proofNodes [][]byte

func (p *proofNodes) Put(_, value []byte) error {
	*p = append(*p, common.CopyBytes(value))
	return nil
}
func (p *proofNodes) Delete([]byte) error { return nil }

// Proof implements rpc.Backend against the head block's state.
func (c *Chain) Proof(key []byte) (rpc.StateProof, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return rpc.StateProof{}, c.err
	}
	path := crypto.Keccak256(key)
	var nodes proofNodes
	if err := c.head.Prove(path, &nodes); err != nil {
		return rpc.StateProof{}, err
	}
	value, err := c.head.Get(path)
	if err != nil {
		return rpc.StateProof{}, err
	}
	return rpc.StateProof{Key: key, Value: value, Nodes: nodes, Header: c.blocks[len(c.blocks)-1].Header}, nil
}

// Info implements rpc.Backend.
func (c *Chain) Info() rpc.ChainStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := uint64(len(c.blocks) - 1)
	return rpc.ChainStatus{
		ChainID: c.g.ChainID, GenesisHash: c.blocks[0].Hash(), Height: head, FinalHeight: head,
		Holder: Addr(c.keys.Validator), Validators: c.g.ValidatorSet().Validators, PeerCount: c.peers,
	}
}

// WaitFinal implements rpc.Backend.
func (c *Chain) WaitFinal(ctx context.Context, h uint64) error {
	for {
		c.mu.Lock()
		done, ch := uint64(len(c.blocks)) > h, c.finalized
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
