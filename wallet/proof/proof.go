package proof

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// ErrBadProof marks a proof that does not check out.
var ErrBadProof = errors.New("invalid proof")

// VerifyProof checks Merkle-Patricia proof nodes for state key against root
// (the trie path is Keccak-256 of the key) and returns the proven value, or
// nil when the proof shows the key absent.
func Verify(root common.Hash, key []byte, nodes [][]byte) ([]byte, error) {
	db := memorydb.New()
	for _, n := range nodes {
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			return nil, err
		}
	}
	v, err := trie.VerifyProof(root, crypto.Keccak256(key), db)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	return v, nil
}

// VerifyAccount checks an account proof against a state root and
// decodes the account. It returns (nil, nil) when the proof shows that the
// account does not exist.
func VerifyAccount(root common.Hash, addr common.Address, nodes [][]byte) (*chain.Account, error) {
	v, err := Verify(root, chain.AccountKey(addr), nodes)
	if err != nil || v == nil {
		return nil, err
	}
	acct := new(chain.Account)
	if err := rlp.DecodeBytes(v, acct); err != nil {
		return nil, fmt.Errorf("%w: proven value is not an account: %v", ErrBadProof, err)
	}
	return acct, nil
}

// ProvenAccount is an account checked against a header's state root.
type ProvenAccount struct {
	Address common.Address
	Account *chain.Account // nil: proven absent
	Header  *chain.Header  // the header whose state root the proof matches
	// Certified is true when the header's commit certificate was checked
	// against the genesis validator set: the header is final.
	Certified bool
}

// FetchAccount fetches addr's proof and checks it without trusting the node's
// JSON: the header is decoded from its canonical encoding and must hash to
// the block hash, the proof must match its state root and the value returned.
// When trust is not nil the header's certificate must verify against the
// validators of that genesis; pass the genesis file you trust (the node's own
// sov_genesis is only as good as the node).
//
// After the validator set changed by governance, the set that must certify
// the header is followed from the genesis set through the node's set
// changes (FollowSet), each certified by the set before it.
func FetchAccount(ctx context.Context, c *wallet.Client, addr common.Address, trust *chain.Genesis) (*ProvenAccount, error) {
	p, err := c.Proof(ctx, rpc.ProofQuery{Account: &addr})
	if err != nil {
		return nil, err
	}
	if trust == nil {
		return CheckAccount(p, addr, nil)
	}
	vs, err := FollowSet(ctx, c, trust, p.Header.Height)
	if err != nil {
		return nil, err
	}
	return CheckAccountWithSet(p, addr, trust.ChainID, vs)
}

// FollowSet is the validator set in force at height, trusting only genesis
// g: the genesis set, then each change the node lists (sov_getSetChanges)
// up to height, every one checked by ledger.VerifySetChange against the
// set before it. A node that hides a change cannot make an old set pass
// for a later one: each certified header names its set's hash.
func FollowSet(ctx context.Context, c *wallet.Client, g *chain.Genesis, height uint64) (*chain.ValidatorSet, error) {
	vs := g.ValidatorSet()
	changes, err := c.SetChanges(ctx)
	if err != nil {
		return nil, err
	}
	for _, sc := range changes {
		if sc.Height > height {
			break
		}
		prev := new(chain.Header)
		if err := rlp.DecodeBytes(sc.Header.RLP, prev); err != nil || prev.Hash() != sc.Header.Hash || prev.Height+1 != sc.Height {
			return nil, fmt.Errorf("%w: set change at %d: header encoding", ErrBadProof, sc.Height)
		}
		nodes := make([][]byte, len(sc.Proof))
		for i, n := range sc.Proof {
			nodes[i] = n
		}
		if vs, err = ledger.VerifySetChange(g.ChainID, vs, prev, chainCertificate(sc.Certificate), nodes); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadProof, err)
		}
	}
	return vs, nil
}

// CheckAccount is FetchAccount's check on an already fetched proof, with
// the header certified by the genesis validator set (trust nil: the
// certificate is not checked).
func CheckAccount(p *rpc.Proof, addr common.Address, trust *chain.Genesis) (*ProvenAccount, error) {
	if trust == nil {
		return CheckAccountWithSet(p, addr, "", nil)
	}
	return CheckAccountWithSet(p, addr, trust.ChainID, trust.ValidatorSet())
}

// CheckAccountWithSet is CheckAccount with the header certified by vs (the
// set in force at its height, FollowSet); vs nil: not checked.
func CheckAccountWithSet(p *rpc.Proof, addr common.Address, chainID string, vs *chain.ValidatorSet) (*ProvenAccount, error) {
	h := new(chain.Header)
	if err := rlp.DecodeBytes(p.Header.RLP, h); err != nil {
		return nil, fmt.Errorf("%w: header encoding: %v", ErrBadProof, err)
	}
	if h.Hash() != p.Header.Hash {
		return nil, fmt.Errorf("%w: header encodes to %s, claimed %s", ErrBadProof, h.Hash().Hex(), p.Header.Hash.Hex())
	}
	if !bytes.Equal(p.Key, chain.AccountKey(addr)) {
		return nil, fmt.Errorf("%w: proof is for key %x, not account %s", ErrBadProof, []byte(p.Key), addr.Hex())
	}
	nodes := make([][]byte, len(p.Nodes))
	for i, n := range p.Nodes {
		nodes[i] = n
	}
	proven, err := Verify(h.StateRoot, p.Key, nodes)
	if err != nil {
		return nil, err
	}
	var claimed []byte
	if p.Value != nil {
		claimed = *p.Value
	}
	if (proven == nil) != (claimed == nil) || !bytes.Equal(proven, claimed) {
		return nil, fmt.Errorf("%w: value %s does not match the proof", ErrBadProof, hexutil.Encode(claimed))
	}
	var acct *chain.Account
	if proven != nil {
		acct = new(chain.Account)
		if err := rlp.DecodeBytes(proven, acct); err != nil {
			return nil, fmt.Errorf("%w: proven value is not an account: %v", ErrBadProof, err)
		}
	}
	out := &ProvenAccount{Address: addr, Account: acct, Header: h}
	if vs != nil {
		if err := checkCertificate(chainID, vs, h, p.Certificate); err != nil {
			return nil, err
		}
		out.Certified = true
	}
	return out, nil
}

// CheckCertificate verifies that cert finalizes header h under the validator
// set of genesis g.
func CheckCertificate(g *chain.Genesis, h *chain.Header, cert *rpc.Certificate) error {
	return checkCertificate(g.ChainID, g.ValidatorSet(), h, cert)
}

// checkCertificate verifies that cert finalizes header h under vs, the set
// the header names.
func checkCertificate(chainID string, vs *chain.ValidatorSet, h *chain.Header, cert *rpc.Certificate) error {
	if h.ChainID != chainID {
		return fmt.Errorf("%w: header is for chain %q, genesis for %q", ErrBadProof, h.ChainID, chainID)
	}
	if h.ValidatorsHash != vs.Hash() {
		return fmt.Errorf("%w: header %d names validator set %s, the trusted set is %s (the set changed: follow it with FollowSet)", ErrBadProof, h.Height, h.ValidatorsHash.Hex(), vs.Hash().Hex())
	}
	if cert == nil {
		return fmt.Errorf("%w: block %d has no commit certificate yet", ErrBadProof, h.Height)
	}
	if cert.Height != h.Height || cert.BlockHash != h.Hash() {
		return fmt.Errorf("%w: certificate is for block %d %s, not %d %s", ErrBadProof, cert.Height, cert.BlockHash.Hex(), h.Height, h.Hash().Hex())
	}
	if err := chainCertificate(cert).Verify(chainID, vs); err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	return nil
}

// chainCertificate is the certificate of cert's JSON form (nil for nil).
func chainCertificate(cert *rpc.Certificate) *chain.Certificate {
	if cert == nil {
		return nil
	}
	cc := &chain.Certificate{Height: cert.Height, Round: cert.Round, BlockHash: cert.BlockHash}
	for _, s := range cert.Signatures {
		cc.Sigs = append(cc.Sigs, chain.CommitSig{Validator: s.Validator, Sig: s.Sig})
	}
	return cc
}
