package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/sovereign-ledger/sovereign/chain"
)

// loadedStore is a data directory written under load: blocks of transfers
// and holds, the first ones compacted into tables, the rest only in the
// journal. It is copied while the ledger that wrote it is still open, as a
// backup taken from a running node would be.
type loadedStore struct {
	f        *fixture
	src      string // the live database directory
	inTables uint64 // blocks 1..inTables are in tables, the rest in the journal
	blocks   []*chain.Block
	certs    []*chain.Certificate
}

func newLoadedStore(t *testing.T) *loadedStore {
	t.Helper()
	dir := t.TempDir()
	f := openFixture(t, dir, 4)
	t.Cleanup(func() { f.ledger.store.kv.Close() })
	s := &loadedStore{f: f, src: filepath.Join(dir, "db")}
	load := func(n int) {
		for i := 0; i < n; i++ {
			var txs []*chain.Tx
			for j := 0; j < 40; j++ {
				from, to := f.customers[j%4], f.customers[(j+1)%4]
				txs = append(txs, f.tx(from, chain.Transfer{To: addr(to), Asset: "CNY", Amount: 1}))
			}
			txs = append(txs, f.tx(f.customers[0], chain.Hold{Payee: addr(f.customers[1]), Asset: "CNY", Amount: 2, Expiry: f.now + 60_000}))
			b, _ := f.block(txs...)
			cert, err := f.ledger.store.Certificate(b.Height())
			if err != nil {
				t.Fatal(err)
			}
			s.blocks, s.certs = append(s.blocks, b), append(s.certs, cert)
		}
	}
	load(12)
	if err := f.ledger.store.kv.(levelStore).db.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	s.inTables = f.ledger.Head().Height
	load(8)
	return s
}

// copy copies the live database into a fresh directory.
func (s *loadedStore) copy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "db")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(s.src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// file is the single file in dir whose name matches.
func file(t *testing.T, dir string, match func(name string) bool) string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var found []string
	for _, e := range entries {
		if match(e.Name()) {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) == 0 {
		t.Fatalf("no such file in %s", dir)
	}
	return found[len(found)-1]
}

func flipBytes(t *testing.T, path string, at float64) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := int(float64(len(raw)) * at)
	for k := i; k < i+4 && k < len(raw); k++ {
		raw[k] ^= 0x5a
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// openChecked opens a store the way the node does: strict open, then the
// start-up integrity check (deep).
func openChecked(dir string, g *chain.Genesis) (*Ledger, error) {
	kv, err := OpenLevelDB(dir)
	if err != nil {
		return nil, err
	}
	l, err := OpenLedger(kv, g)
	if err == nil {
		_, err = l.CheckIntegrity(true)
	}
	if err != nil {
		kv.Close()
		return nil, err
	}
	return l, nil
}

func isJournal(n string) bool  { return strings.HasSuffix(n, ".log") }
func isTable(n string) bool    { return strings.HasSuffix(n, ".ldb") }
func isManifest(n string) bool { return strings.HasPrefix(n, "MANIFEST-") }

// TestDamagedStoreRefusedAndRepaired flips bytes in the journal, a table and
// the manifest of copies of a data directory written under load, truncates
// the journal, and removes CURRENT. Every one must stop the open with a
// DamageError naming the recovery; a repair must then give a store that
// passes the deep check, holds a verified prefix of the chain, and re-syncs
// the rest to the very state the undamaged chain reached.
func TestDamagedStoreRefusedAndRepaired(t *testing.T) {
	s := newLoadedStore(t)
	g, head := s.f.g, uint64(len(s.blocks))

	clean := s.copy(t)
	l, err := openChecked(clean, g)
	if err != nil {
		t.Fatalf("undamaged copy refused: %v", err)
	}
	if l.Head().Height != head {
		t.Fatalf("undamaged copy has head %d, want %d", l.Head().Height, head)
	}
	l.store.kv.Close()

	cases := []struct {
		name   string
		damage func(dir string)
		// keepsAtLeast is how much of the chain a repair must keep.
		keepsAtLeast uint64
	}{
		{"journal byte flip", func(dir string) { flipBytes(t, file(t, dir, isJournal), 0.5) }, s.inTables},
		{"journal truncated", func(dir string) {
			p := file(t, dir, isJournal)
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()-100); err != nil {
				t.Fatal(err)
			}
		}, s.inTables},
		{"table byte flip", func(dir string) { flipBytes(t, file(t, dir, isTable), 0.3) }, 0},
		{"manifest byte flip", func(dir string) { flipBytes(t, file(t, dir, isManifest), 0.5) }, head},
		{"CURRENT removed", func(dir string) { os.Remove(filepath.Join(dir, "CURRENT")) }, head},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := s.copy(t)
			c.damage(dir)
			l, err := openChecked(dir, g)
			if err == nil {
				l.store.kv.Close()
				t.Fatalf("damaged store opened, head %d of %d", l.Head().Height, head)
			}
			var de *DamageError
			if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "sovereign db repair") {
				t.Fatalf("refusal is not a DamageError naming the recovery: %v", err)
			}
			t.Logf("refused: %v", err)

			res, err := Repair(dir, g)
			if err != nil {
				t.Fatalf("repair: %v", err)
			}
			if res.Kept < c.keepsAtLeast || res.Kept > head {
				t.Fatalf("repair kept %d blocks, want %d..%d", res.Kept, c.keepsAtLeast, head)
			}
			l, err = openChecked(dir, g)
			if err != nil {
				t.Fatalf("repaired store refused: %v", err)
			}
			defer l.store.kv.Close()
			if l.Head().Height != res.Kept {
				t.Fatalf("repaired head %d, repair kept %d", l.Head().Height, res.Kept)
			}
			// Re-sync the rest, as from peers.
			for h := res.Kept + 1; h <= head; h++ {
				if err := l.Commit(s.blocks[h-1], s.certs[h-1]); err != nil {
					t.Fatalf("re-sync block %d: %v", h, err)
				}
			}
			if got, want := l.Head().Hash(), s.blocks[head-1].Hash(); got != want {
				t.Fatalf("after re-sync head %s, want %s", got, want)
			}
			if _, err := l.CheckIntegrity(true); err != nil {
				t.Fatalf("after re-sync: %v", err)
			}
			if _, err := os.Stat(res.Damaged); err != nil {
				t.Fatalf("damaged original not kept: %v", err)
			}
		})
	}
}

// TestIntegrityCheckFindsMissingBlock deletes one block's certificate and
// then one block from an otherwise sound store: the quick check (not deep)
// must name each.
func TestIntegrityCheckFindsMissingBlock(t *testing.T) {
	f := newMemFixture(t, 2)
	for i := 0; i < 5; i++ {
		f.block(f.tx(f.customers[0], chain.Transfer{To: addr(f.customers[1]), Asset: "CNY", Amount: 1}))
	}
	if _, err := f.ledger.CheckIntegrity(false); err != nil {
		t.Fatalf("sound chain: %v", err)
	}
	for _, key := range [][]byte{heightKey(kCertificate, 3), heightKey(kBlockByHeight, 2)} {
		b := f.ledger.store.kv.NewBatch()
		b.Delete(key)
		if err := f.ledger.store.kv.Write(b); err != nil {
			t.Fatal(err)
		}
		_, err := f.ledger.CheckIntegrity(false)
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("after deleting %x: %v", key, err)
		}
		t.Logf("found: %v", err)
	}
}
