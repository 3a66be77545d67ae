package ledger

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Set-change proofs let a verifier that holds headers and certificates but
// no state (snapshot trust, a wallet's proof check) follow the validator
// set from genesis: the set in force from E is the state value
// chain.ValidatorSetKey(E), already in the state of block E-1 (it is
// written at approval, at least two blocks before E), and block E-1 is
// certified by the set before the change. When a node commits E-1 it
// proves that value against E-1's state root (the store keeps only the
// latest trie, so the proof must be taken then) and keeps the proof under
// kSetProof. VerifySetChange checks one step.

// kSetProof: effective height → the Merkle proof nodes of the set in force
// from there, against the state root of the block before it.
const kSetProof = 'G'

// SetChangeProof returns the proof nodes of the set in force from height e
// (a height of the set history), ok false when this node holds none (it
// did not commit block e-1 itself, or e is not a change).
func (s *DB) SetChangeProof(e uint64) (nodes [][]byte, ok bool, err error) {
	raw, err := s.get(heightKey(kSetProof, e))
	if err != nil || raw == nil {
		return nil, false, err
	}
	if err := rlp.DecodeBytes(raw, &nodes); err != nil {
		return nil, false, fmt.Errorf("decode set-change proof of %d: %w", e, err)
	}
	return nodes, true, nil
}

// recordSetProof proves, at head h, the set that takes effect at h+1, if
// one does, unless the proof is kept already.
func (l *Ledger) recordSetProof(h *chain.Header) error {
	hist, err := SetHistory(l.store.StateKV())
	if err != nil || !slices.Contains(hist, h.Height+1) {
		return err
	}
	if _, ok, err := l.store.SetChangeProof(h.Height + 1); err != nil || ok {
		return err
	}
	_, nodes, at, err := l.Prove(chain.ValidatorSetKey(h.Height + 1))
	if err != nil {
		return err
	}
	if at.Hash() != h.Hash() {
		return fmt.Errorf("set-change proof taken at block %d, want %d", at.Height, h.Height)
	}
	raw, err := rlp.EncodeToBytes(nodes)
	if err != nil {
		return err
	}
	b := l.store.kv.NewBatch()
	b.Put(heightKey(kSetProof, h.Height+1), raw)
	return l.store.kv.Write(b)
}

// ErrBadSetChange marks a set-change step that does not check out.
var ErrBadSetChange = errors.New("invalid set change")

// VerifySetChange is one step of following the validator set without
// state: trusted is the set in force at prev's height; prev is the header
// of the block before a change, cert its certificate, nodes the proof
// (DB.SetChangeProof(prev.Height+1)). It returns the set in force from
// prev.Height+1 on, whose hash the header of that height carries.
func VerifySetChange(chainID string, trusted *chain.ValidatorSet, prev *chain.Header, cert *chain.Certificate, nodes [][]byte) (*chain.ValidatorSet, error) {
	if prev.ValidatorsHash != trusted.Hash() {
		return nil, fmt.Errorf("%w: header %d names validators %s, the trusted set is %s", ErrBadSetChange, prev.Height, prev.ValidatorsHash, trusted.Hash())
	}
	if cert == nil || cert.Height != prev.Height || cert.BlockHash != prev.Hash() {
		return nil, fmt.Errorf("%w: no certificate for block %d", ErrBadSetChange, prev.Height)
	}
	if err := cert.Verify(chainID, trusted); err != nil {
		return nil, fmt.Errorf("%w: certificate of block %d: %v", ErrBadSetChange, prev.Height, err)
	}
	db := memorydb.New()
	for _, n := range nodes {
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			return nil, err
		}
	}
	key := chain.ValidatorSetKey(prev.Height + 1)
	value, err := trie.VerifyProof(prev.StateRoot, crypto.Keccak256(key), db)
	if err != nil {
		return nil, fmt.Errorf("%w: proof against block %d's state root: %v", ErrBadSetChange, prev.Height, err)
	}
	if value == nil {
		return nil, fmt.Errorf("%w: block %d's state holds no set for height %d", ErrBadSetChange, prev.Height, prev.Height+1)
	}
	var set chain.StoredValidatorSet
	if err := rlp.DecodeBytes(value, &set); err != nil {
		return nil, fmt.Errorf("%w: proven value is not a validator set: %v", ErrBadSetChange, err)
	}
	return chain.NewValidatorSet(set.Validators), nil
}
