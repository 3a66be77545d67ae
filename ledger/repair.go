package ledger

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/sovereign-ledger/sovereign/chain"
)

// RepairResult is what Repair kept and where it put the damaged original.
type RepairResult struct {
	Kept     uint64 // blocks 1..Kept verified and were replayed
	Found    uint64 // the head the damaged store named (0 when unreadable)
	Damaged  string // where the original directory now is
	Replayed time.Duration
	// DroppedTables: a corrupted table could not be salvaged and was
	// dropped whole.
	DroppedTables bool
	// NoSafetyRecord: the repaired store has no consensus safety record
	// (it was lost with the damage, or the node never voted). A validator
	// must not vote again before the height it last voted at.
	NoSafetyRecord bool
}

// Repair rebuilds the goleveldb database in dir so that it holds exactly
// what verifies (docs/adr/0030-refuse-damaged-store.md):
//
//  1. goleveldb's RecoverFile rebuilds the manifest from the tables and
//     journals that remain readable, dropping corrupted parts;
//  2. the chain is read from height 1 up to the last height h whose block is
//     present, links to its parent, and is signed by its certificate;
//  3. blocks 1..h are replayed from genesis into a new database, which
//     re-derives the state, receipts and indexes through the ledger rules
//     (the state root of each block is checked again), and the consensus
//     metadata (safety record, valid value: everything under the meta prefix
//     but the head and genesis markers) is carried over so the validator
//     never signs against what it signed before;
//  4. the damaged directory is kept beside as dir.damaged-TIME and the new
//     one takes its place. The node re-syncs blocks above h from its peers.
func Repair(dir string, g *chain.Genesis) (RepairResult, error) {
	var res RepairResult
	if err := checkRepairable(dir); err != nil {
		return res, err
	}
	// First salvage corrupted tables block by block (default strictness);
	// goleveldb cannot always rebuild a table whose corruption reached its
	// keys, and then the corrupted tables are dropped whole (StrictRecovery):
	// what they held and the chain still needs is replayed or re-synced.
	db, err := leveldb.RecoverFile(dir, levelOptions(opt.DefaultStrict))
	if err != nil {
		res.DroppedTables = true
		db, err = leveldb.RecoverFile(dir, levelOptions(opt.DefaultStrict|opt.StrictRecovery))
	}
	if err != nil {
		return res, fmt.Errorf("recover %s: %w", dir, err)
	}
	damagedStore := levelStore{db}
	defer damagedStore.Close()
	old := &Ledger{store: &DB{kv: damagedStore}, genesis: g, validators: g.ValidatorSet()}
	genesisBlock, _, _, err := buildGenesis(g)
	if err != nil {
		return res, err
	}
	old.genesisHash = genesisBlock.Hash()
	if stored, ok, err := old.store.GenesisHash(); err == nil && ok && stored != old.genesisHash {
		return res, fmt.Errorf("%w: store has %s, genesis file gives %s", ErrGenesisMismatch, stored, old.genesisHash)
	}
	if h, ok, err := old.store.Head(); err == nil && ok {
		res.Found = h
	}
	res.Kept = old.lastVerified()
	if safety, _, err := old.store.SafetyRecord(); err != nil || safety == nil {
		res.NoSafetyRecord = true
	}

	fresh := dir + ".repair"
	if err := os.RemoveAll(fresh); err != nil {
		return res, err
	}
	start := time.Now()
	if err := replay(old, fresh, res.Kept); err != nil {
		os.RemoveAll(fresh)
		return res, fmt.Errorf("replay blocks 1..%d: %w", res.Kept, err)
	}
	res.Replayed = time.Since(start)
	if err := damagedStore.Close(); err != nil {
		return res, err
	}
	res.Damaged = fmt.Sprintf("%s.damaged-%s", dir, time.Now().UTC().Format("20060102T150405"))
	if err := os.Rename(dir, res.Damaged); err != nil {
		return res, err
	}
	if err := os.Rename(fresh, dir); err != nil {
		return res, fmt.Errorf("move repaired store into place (the damaged one is at %s): %w", res.Damaged, err)
	}
	return res, nil
}

// checkRepairable refuses a directory that is not a goleveldb database.
func checkRepairable(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("repair %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return fmt.Errorf("repair %s: the directory is empty, there is nothing to repair", dir)
	}
	return nil
}

// replay commits blocks 1..upTo of old into a new database at dir and
// copies old's consensus metadata over.
func replay(old *Ledger, dir string, upTo uint64) error {
	kv, err := OpenLevelDB(dir)
	if err != nil {
		return err
	}
	defer kv.Close()
	l, err := OpenLedger(kv, old.genesis)
	if err != nil {
		return err
	}
	for h := uint64(1); h <= upTo; h++ {
		b, cert, err := old.certifiedBlock(h)
		if err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		if err := l.Commit(b, cert); err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
	}
	return copyConsensusMeta(old.store.kv, kv)
}

// copyConsensusMeta copies every metadata key but the head and genesis
// markers, which the replay wrote itself.
func copyConsensusMeta(from, to Store) error {
	b := to.NewBatch()
	r := util.BytesPrefix([]byte{kMeta})
	err := from.Scan(r.Start, r.Limit, false, func(k, v []byte) bool {
		if !bytes.Equal(k, metaHead) && !bytes.Equal(k, metaGenesis) {
			b.Put(bytes.Clone(k), bytes.Clone(v))
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("read consensus metadata: %w", err)
	}
	return to.Write(b)
}
