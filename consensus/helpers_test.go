package consensus

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

const testChainID = "sov-test"

// testKey is the i-th deterministic test key.
func testKey(i int) *ecdsa.PrivateKey {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("sovereign consensus test key"), seed[:]))
	if err != nil {
		panic(err)
	}
	return k
}

// testValidators returns n signers (sorted like the set) and their set,
// each with power 1.
func testValidators(n int) ([]*KeySigner, *chain.ValidatorSet) {
	return testValidatorsWeighted(make([]uint64, n))
}

// testValidatorsWeighted is testValidators with the i-th key's power
// powers[i] (0 means 1).
func testValidatorsWeighted(powers []uint64) ([]*KeySigner, *chain.ValidatorSet) {
	n := len(powers)
	signers := make([]*KeySigner, n)
	vals := make([]chain.Validator, n)
	for i := range signers {
		signers[i] = NewKeySigner(testKey(i))
		p := powers[i]
		if p == 0 {
			p = 1
		}
		vals[i] = chain.Validator{Address: signers[i].Address(), Power: p, RevealTip: crypto.Keccak256Hash(signers[i].Address().Bytes())}
	}
	vs := chain.NewValidatorSet(vals)
	byAddr := make(map[common.Address]*KeySigner)
	for _, s := range signers {
		byAddr[s.Address()] = s
	}
	for i, v := range vs.Validators {
		signers[i] = byAddr[v.Address]
	}
	return signers, vs
}

// acceptAll is an App for which every block is valid.
type acceptAll struct{}

func (acceptAll) ValidateBlock(*chain.Block) error { return nil }
func (acceptAll) CheckTimely(*chain.Block) error   { return nil }

// rejectSet is an App that refuses listed blocks.
type rejectSet map[common.Hash]bool

func (rejectSet) CheckTimely(*chain.Block) error { return nil }

func (r rejectSet) ValidateBlock(b *chain.Block) error {
	if r[b.Hash()] {
		return fmt.Errorf("app says no")
	}
	return nil
}

func testConfig(vs *chain.ValidatorSet, s Signer) Config {
	cfg := Config{ChainID: testChainID, Validators: vs, App: acceptAll{}}
	if s != nil { // keep a typed nil out of the interface
		cfg.Signer = s
	}
	return cfg
}

var genesisSeed = crypto.Keccak256Hash([]byte("sovereign test genesis seed"))

// testReveal is a stand-in for a validator's hash-chain preimage; the core
// does not check reveals.
func testReveal(a common.Address, height uint64) common.Hash {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return crypto.Keccak256Hash([]byte("reveal"), a[:], h[:])
}

// buildBlock answers a ProposeRequest as a node would. salt makes blocks of
// one (height, round) differ (an equivocating holder).
func buildBlock(req *ProposeRequest, proposer common.Address, salt uint64) *chain.Block {
	hd := &chain.Header{
		ChainID:    testChainID,
		Height:     req.Height,
		Round:      req.Round,
		Time:       1_700_000_000_000 + req.Height*1000 + uint64(req.Round) + salt*7,
		Proposer:   proposer,
		Reveal:     testReveal(proposer, req.Height),
		LastCommit: req.LastCommit,
	}
	if req.LastCommit != nil {
		hd.Parent = req.LastCommit.BlockHash
	}
	return &chain.Block{Header: hd}
}

// mustNew builds a machine or fails the test.
func mustNew(t testing.TB, cfg Config, st StartState) *Machine {
	t.Helper()
	m, err := New(cfg, st)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}
