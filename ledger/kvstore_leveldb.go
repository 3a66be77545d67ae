package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	leveldberrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// levelStore is the node's Store: one goleveldb database, every batch
// written with fsync (docs/adr/0003-storage-layout.md).
type levelStore struct{ db *leveldb.DB }

// levelOptions are the database's options. Strict is opt.StrictAll: on
// top of goleveldb's default (journal and block checksums, strict reads and
// compaction) it refuses a journal or manifest with a corrupted or missing
// chunk at open instead of skipping it, which would silently lose the last
// blocks. The added flags act only when the journal and manifest are
// replayed at open, so they cost nothing on reads and writes
// (BenchmarkLevelDBStrict; docs/adr/0030-refuse-damaged-store.md).
func levelOptions(strict opt.Strict) *opt.Options {
	return &opt.Options{
		BlockCacheCapacity: 64 << 20,
		WriteBuffer:        32 << 20,
		Strict:             strict,
	}
}

// OpenLevelDB opens (creating if needed) the goleveldb database in dir. A
// corrupted journal, table or manifest is a DamageError.
func OpenLevelDB(dir string) (Store, error) {
	return openLevelDB(dir, opt.StrictAll)
}

func openLevelDB(dir string, strict opt.Strict) (Store, error) {
	if err := checkCurrentFile(dir); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	db, err := leveldb.OpenFile(dir, levelOptions(strict))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, classifyLevelError(err))
	}
	return levelStore{db}, nil
}

// classifyLevelError marks goleveldb's corruption errors as damage, naming
// the file goleveldb names.
func classifyLevelError(err error) error {
	if err == nil || errors.Is(err, ErrDamaged) {
		return err
	}
	if leveldberrors.IsCorrupted(err) {
		return damaged(err, "%s corrupted", corruptedPart(err.Error()))
	}
	return err
}

// corruptedPart names the kind of file goleveldb's corruption error names.
func corruptedPart(msg string) string {
	switch {
	case strings.Contains(msg, "MANIFEST-"):
		return "manifest"
	case strings.Contains(msg, ".log]"):
		return "journal"
	case strings.Contains(msg, ".ldb]"), strings.Contains(msg, "leveldb/table"):
		return "table"
	}
	return "journal, table or manifest"
}

func (s levelStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	return v, classifyLevelError(err)
}

func (s levelStore) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	return classifyLevelError(scanIterator(s.db.NewIterator(&util.Range{Start: start, Limit: limit}, nil), reverse, fn))
}

func (s levelStore) NewBatch() Batch { return new(leveldb.Batch) }

func (s levelStore) Write(b Batch) error {
	return s.db.Write(b.(*leveldb.Batch), &opt.WriteOptions{Sync: true})
}

func (s levelStore) Close() error { return s.db.Close() }

// View is a goleveldb snapshot: reads see the database as of this call.
func (s levelStore) View() (View, error) {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("store view: %w", classifyLevelError(err))
	}
	return levelView{snap}, nil
}

type levelView struct{ snap *leveldb.Snapshot }

func (v levelView) Get(key []byte) ([]byte, error) {
	val, err := v.snap.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	return val, classifyLevelError(err)
}

func (v levelView) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	return classifyLevelError(scanIterator(v.snap.NewIterator(&util.Range{Start: start, Limit: limit}, nil), reverse, fn))
}

func (v levelView) Release() { v.snap.Release() }

// checkCurrentFile refuses a database directory that holds tables or
// journals but no CURRENT file: goleveldb would otherwise start a new, empty
// database beside them, and the node would run from genesis without a word.
func checkCurrentFile(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a new database
		}
		return err
	}
	for _, e := range entries {
		switch ext := filepath.Ext(e.Name()); {
		case ext == ".ldb", ext == ".log", strings.HasPrefix(e.Name(), "MANIFEST-"):
			return damaged(nil, "CURRENT file missing beside %s", e.Name())
		}
	}
	return nil
}
