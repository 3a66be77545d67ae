package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sovereign-ledger/sovereign/consensus"
)

// The signer state is the validator's consensus safety record (and the
// valid value it names), kept in DATADIR/signer, outside the chain
// database, as cometbft keeps priv_validator_state.json beside its data.
// Wiping or restoring chaindata then leaves the record of what this key
// signed intact, and a record that is missing or older than the chain is
// recognised as lost instead of read as "never signed"
// (docs/adr/0012-signer-state-file.md).
//
// The record is written before every vote leaves the node, so its write is
// on the consensus path: it goes to two slots in turn, each a sequence
// number, a checksum and the record, written in place and fsynced (no
// temporary file, no rename, no directory sync after the first). A crash
// mid-write tears only the slot being written, which then fails its
// checksum; the other slot holds the previous record, and nothing signed
// after it had left the node. The valid value, rewritten only when it
// changes, is replaced atomically (temporary file, fsync, rename, fsync of
// the directory).
const (
	signerDir        = "signer"
	signerSlotA      = "state-a.json" // signerSlot
	signerSlotB      = "state-b.json"
	signerLegacyFile = "state.json" // a bare consensus.SafetyRecord, as first written
	signerValidFile  = "valid.rlp"  // consensus.ValidValue, RLP
)

// signerSlot is one slot's content.
type signerSlot struct {
	Seq    uint64          `json:"seq"`
	CRC32  uint32          `json:"crc32"` // IEEE, of Record
	Record json.RawMessage `json:"record"`
}

// signerState is the validator's signer state on disk. Only the driver
// goroutine uses it.
type signerState struct {
	dir     string
	seq     uint64 // of the newest slot on disk
	created [2]bool
}

func newSignerState(dataDir string) *signerState {
	return &signerState{dir: filepath.Join(dataDir, signerDir)}
}

func (s *signerState) slotPath(seq uint64) string {
	return filepath.Join(s.dir, [2]string{signerSlotA, signerSlotB}[seq%2])
}

// load reads the newest intact record and the valid value; exists is false
// when there is no record at all.
func (s *signerState) load() (st consensus.StartState, exists bool, err error) {
	safety, err := s.newestRecord()
	if err != nil || safety == nil {
		return st, false, err
	}
	valid, err := readIfExists(filepath.Join(s.dir, signerValidFile))
	if err != nil {
		return st, false, err
	}
	st, err = decodeSignerState(safety, valid)
	if err != nil {
		return st, false, fmt.Errorf("signer state %s: %w (restore it from this validator's own backup, or move it away to start with the double-sign watch)", s.dir, err)
	}
	return st, true, nil
}

// newestRecord is the record of the intact slot with the highest sequence
// number, or of the legacy file when there are no slots; nil when there is
// nothing. Slots that exist but none intact are damage, not absence.
func (s *signerState) newestRecord() ([]byte, error) {
	var best []byte
	found, torn := false, 0
	for i, name := range []string{signerSlotA, signerSlotB} {
		raw, err := readIfExists(filepath.Join(s.dir, name))
		if err != nil {
			return nil, err
		}
		if raw == nil {
			continue
		}
		s.created[i] = true
		var slot signerSlot
		if json.Unmarshal(raw, &slot) != nil || crc32.ChecksumIEEE(slot.Record) != slot.CRC32 || slot.Seq%2 != uint64(i) {
			torn++ // a write the crash cut short: the other slot is the record
			continue
		}
		if !found || slot.Seq > s.seq {
			best, s.seq, found = slot.Record, slot.Seq, true
		}
	}
	if torn > 0 && !found {
		return nil, fmt.Errorf("signer state %s: no intact slot (restore it from this validator's own backup, or move it away to start with the double-sign watch)", s.dir)
	}
	if found {
		return best, nil
	}
	return readIfExists(filepath.Join(s.dir, signerLegacyFile))
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// decodeSignerState decodes a safety record and its valid value (nil: none).
func decodeSignerState(safety, valid []byte) (st consensus.StartState, err error) {
	if st.Safety, err = consensus.DecodeSafetyRecord(safety); err != nil {
		return st, err
	}
	if valid != nil {
		st.Valid, err = consensus.DecodeValidValue(valid)
	}
	return st, err
}

// save persists what the core asked to persist: either may be nil.
func (s *signerState) save(safety *consensus.SafetyRecord, valid *consensus.ValidValue) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("signer state: %w", err)
	}
	if valid != nil {
		if err := writeFileSynced(filepath.Join(s.dir, signerValidFile), valid.Encode()); err != nil {
			return fmt.Errorf("write signer valid value: %w", err)
		}
	}
	if safety != nil {
		if err := s.writeSlot(safety.Encode()); err != nil {
			return fmt.Errorf("write signer state: %w", err)
		}
	}
	return nil
}

// writeSlot writes record into the slot after the newest, in place, and
// syncs it; the first write of each slot also syncs the directory, so that
// the file itself survives a crash.
func (s *signerState) writeSlot(record []byte) error {
	seq := s.seq + 1
	raw, err := json.Marshal(signerSlot{Seq: seq, CRC32: crc32.ChecksumIEEE(record), Record: record})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.slotPath(seq), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if i := seq % 2; !s.created[i] {
		if err := syncDir(s.dir); err != nil {
			return err
		}
		s.created[i] = true
	}
	s.seq = seq
	return nil
}

// writeFileSynced replaces path with data so that a crash leaves either
// the old or the new content, both on disk.
func writeFileSynced(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// resume decides how the core starts signing from the signer state and a
// chain whose head is at headHeight:
//   - a record at least as high as the head: resume from it (a chaindata
//     restored from an older backup only means more to catch up);
//   - no record on a chain at genesis: a validator being initialised, whose
//     empty record is written now so that "missing" later means "lost";
//   - no record on a chain past genesis, or a record older than the head:
//     the record cannot hold everything this key signed, so the core starts
//     with SignerStateLost and watches before it signs.
//
// legacy reads the record older versions kept in the chain database (nil
// when there is none); it is moved to the file once.
func (s *signerState) resume(headHeight uint64, legacy func() (safety, valid []byte, err error)) (consensus.StartState, string, error) {
	st, exists, err := s.load()
	if err != nil {
		return st, "", err
	}
	if !exists {
		safety, valid, err := legacy()
		if err != nil {
			return st, "", fmt.Errorf("read the chain database's safety record: %w", err)
		}
		if exists = safety != nil; exists {
			if st, err = decodeSignerState(safety, valid); err != nil {
				return st, "", fmt.Errorf("the chain database's safety record: %w", err)
			}
			if err := s.save(st.Safety, st.Valid); err != nil {
				return st, "", err
			}
		}
	}
	switch {
	case !exists && headHeight == 0:
		return st, "", s.save(&consensus.SafetyRecord{LockedRound: -1, ValidRound: -1}, nil)
	case !exists:
		st.SignerStateLost = true
		return st, fmt.Sprintf("no signer state in %s but the chain is at height %d", s.dir, headHeight), nil
	case st.Safety.Height < headHeight:
		st.SignerStateLost = true
		return st, fmt.Sprintf("signer state in %s is at height %d, older than the chain (height %d): restored from a backup?", s.dir, st.Safety.Height, headHeight), nil
	}
	return st, "", nil
}
