package ledger

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// ErrDamaged marks a store that cannot be trusted as it is: a corrupted
// journal, table or manifest, or a chain with a block, certificate or state
// that does not verify. The node refuses to start on it
// (docs/adr/0030-refuse-damaged-store.md).
var ErrDamaged = errors.New("database damaged")

// Recovery is what an operator can do about a damaged store; every
// DamageError names it.
const Recovery = "restore the data directory from a backup, or run `sovereign db repair`, " +
	"which keeps the blocks that verify with their certificates and lets the node re-sync the rest from its peers"

// DamageError says what in a store is damaged and what to do about it.
type DamageError struct {
	What string // the damage: "journal or table corrupted: …", "block 17 missing", …
	Err  error  // the underlying error, if any
}

func (e *DamageError) Error() string {
	msg := fmt.Sprintf("%s: %s", ErrDamaged, e.What)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; to recover, " + Recovery
}

func (e *DamageError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

func damaged(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var inner *DamageError
	if errors.As(err, &inner) { // name the recovery once
		return &DamageError{What: what + ": " + inner.What, Err: inner.Err}
	}
	return &DamageError{What: what, Err: err}
}

// IntegrityCheck is what CheckIntegrity verified.
type IntegrityCheck struct {
	Head uint64 // blocks 1..Head are present, linked, each with its certificate
	Deep bool   // certificates' signatures verified and the state re-hashed
}

// CheckIntegrity verifies, before the node serves anything, that every
// height from 1 to the head is stored: the block decodes, sits at its
// height, links to its parent by hash, is found by its hash, and has a
// certificate naming it. Deep adds what costs more: every certificate's
// signatures against the validator set, and the head's state root re-hashed
// from the flat state (CheckConsistency). Any failure is a DamageError.
func (l *Ledger) CheckIntegrity(deep bool) (IntegrityCheck, error) {
	head := l.Head()
	from, parent, err := l.historyStart()
	if err != nil {
		return IntegrityCheck{}, err
	}
	for h := from; h <= head.Height; h++ {
		hash, err := l.checkHeight(h, parent, deep)
		if err != nil {
			return IntegrityCheck{Head: h - 1}, err
		}
		parent = hash
	}
	if parent != head.Hash() {
		return IntegrityCheck{}, damaged(nil, "stored block %d is not the head the store names", head.Height)
	}
	if deep {
		if err := l.readEverything(); err != nil {
			return IntegrityCheck{Head: head.Height}, err
		}
		if err := l.CheckConsistency(); err != nil {
			return IntegrityCheck{Head: head.Height}, damaged(err, "state at head %d", head.Height)
		}
	}
	return IntegrityCheck{Head: head.Height, Deep: deep}, nil
}

// historyStart is the first height whose block the store must hold and its
// parent's hash: 1 and the genesis for a chain kept from genesis, the
// snapshot base's successor for a store started from a snapshot (the base
// block itself was checked against its certificate on import).
func (l *Ledger) historyStart() (uint64, common.Hash, error) {
	base, ok, err := l.store.SnapshotBase()
	if err != nil || !ok {
		return 1, l.genesisHash, err
	}
	b, err := l.store.BlockByHeight(base)
	if err != nil {
		return 0, common.Hash{}, damaged(err, "snapshot base block %d unreadable or missing", base)
	}
	return base + 1, b.Hash(), nil
}

// readEverything reads every key and value once, so that each table block
// of the database is checked against its checksum (receipts, indexes and
// trie nodes included, which the chain checks do not otherwise read).
func (l *Ledger) readEverything() error {
	if err := l.store.kv.Scan(nil, nil, false, func(_, _ []byte) bool { return true }); err != nil {
		return damaged(err, "reading the whole database")
	}
	return nil
}

// checkHeight verifies the block at height h as the child of parent and
// returns its hash.
func (l *Ledger) checkHeight(h uint64, parent common.Hash, deep bool) (common.Hash, error) {
	header, err := l.storedHeader(h, deep)
	if err != nil {
		return common.Hash{}, err
	}
	hash := header.Hash()
	switch {
	case header.Height != h:
		return common.Hash{}, damaged(nil, "block stored at height %d says height %d", h, header.Height)
	case header.Parent != parent:
		return common.Hash{}, damaged(nil, "block %d names parent %s, stored block %d is %s", h, header.Parent, h-1, parent)
	}
	if at, err := l.store.HeightOf(hash); err != nil || at != h {
		return common.Hash{}, damaged(err, "hash index for block %d (%s) gives height %d", h, hash, at)
	}
	cert, err := l.store.Certificate(h)
	if err != nil {
		return common.Hash{}, damaged(err, "certificate of block %d unreadable or missing", h)
	}
	if cert.Height != h || cert.BlockHash != hash {
		return common.Hash{}, damaged(nil, "certificate stored for block %d names height %d block %s", h, cert.Height, cert.BlockHash)
	}
	if deep {
		vs, err := l.ValidatorsAtErr(h) // the set history is append-only: today's state knows every past set
		if err != nil {
			return common.Hash{}, damaged(err, "validator set of block %d unreadable", h)
		}
		if err := cert.Verify(l.genesis.ChainID, vs); err != nil {
			return common.Hash{}, damaged(err, "certificate of block %d does not verify", h)
		}
	}
	return hash, nil
}

// storedHeader reads the header of the block at height h. The quick check
// decodes the header alone (goleveldb has checked the whole value against
// its block checksum on reading it); deep decodes the transactions too and
// checks them against the header's transactions root.
func (l *Ledger) storedHeader(h uint64, deep bool) (*chain.Header, error) {
	raw, err := l.store.get(heightKey(kBlockByHeight, h))
	if err != nil || raw == nil {
		return nil, damaged(err, "block %d unreadable or missing", h)
	}
	if deep {
		b, err := chain.DecodeBlock(raw)
		if err != nil {
			return nil, damaged(err, "block %d", h)
		}
		if TxRoot(b.Txs) != b.Header.TxRoot {
			return nil, damaged(nil, "block %d transactions do not match its header", h)
		}
		return b.Header, nil
	}
	rawHeader, err := listElement(raw, 0)
	header := new(chain.Header)
	if err == nil {
		err = rlp.DecodeBytes(rawHeader, header)
	}
	if err != nil {
		return nil, damaged(err, "block %d header", h)
	}
	return header, nil
}

// lastVerified is the highest height h such that blocks 1..h are stored,
// linked and each verified by its certificate's signatures: what a repair
// keeps.
func (l *Ledger) lastVerified() uint64 {
	parent := l.genesisHash
	var h uint64
	for {
		hash, err := l.checkHeight(h+1, parent, true)
		if err != nil {
			return h
		}
		parent = hash
		h++
	}
}

// certifiedBlock reads block h and its certificate (for a repair's replay).
func (l *Ledger) certifiedBlock(h uint64) (*chain.Block, *chain.Certificate, error) {
	b, err := l.store.BlockByHeight(h)
	if err != nil {
		return nil, nil, err
	}
	c, err := l.store.Certificate(h)
	return b, c, err
}
