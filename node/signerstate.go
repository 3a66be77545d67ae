package node

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

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
// Both are written before the messages of the batch that changed them leave
// the node, so their writes are on the consensus path, and the valid value
// (a whole block) changes at every height. Each is a slotPair: two files
// written in turn, each a sequence number, a checksum and the value, written
// in place at a stable, padded size and fsynced (no temporary file, no
// rename, no truncation, no directory sync after a file's first write). A
// crash mid-write tears only the slot being written, which then fails its
// checksum; the other slot holds the previous value, and nothing signed
// after it had left the node. The valid value is written, and synced,
// before the record that names it, and is read back as the intact valid
// slot that the record names (see load for why that is not simply the
// newest).
const (
	signerDir        = "signer"
	signerSlotA      = "state-a.json" // signerSlot, holding a consensus.SafetyRecord
	signerSlotB      = "state-b.json"
	signerValidA     = "valid-a.json" // signerSlot, holding a consensus.ValidValue (RLP, as a base64 JSON string)
	signerValidB     = "valid-b.json"
	signerLegacyFile = "state.json" // a bare consensus.SafetyRecord, as first written
	signerValidFile  = "valid.rlp"  // consensus.ValidValue, RLP, as written before the valid slots
)

// signerStateRemedy ends the error of a signer state that cannot be read.
const signerStateRemedy = "(restore it from this validator's own backup, or move it away to start with the double-sign watch)"

// signerSlot is one slot's content, followed in the file by spaces up to the
// slot's size (JSON allows trailing white space).
type signerSlot struct {
	Seq    uint64          `json:"seq"`
	CRC32  uint32          `json:"crc32"` // IEEE, of Record
	Record json.RawMessage `json:"record"`
}

// slotBlock is the unit slot files grow by, so that their size, and with it
// the file's metadata, stays the same from one write to the next.
const slotBlock = 4096

// signerState is the validator's signer state on disk. Only the driver
// goroutine uses it.
type signerState struct {
	dir    string
	record slotPair // consensus.SafetyRecord, JSON
	valid  slotPair // consensus.ValidValue, RLP as a JSON string
	// validBuf is the valid value's slot payload, kept between saves.
	validBuf []byte
}

func newSignerState(dataDir string) *signerState {
	dir := filepath.Join(dataDir, signerDir)
	return &signerState{
		dir:    dir,
		record: slotPair{dir: dir, names: [2]string{signerSlotA, signerSlotB}},
		valid:  slotPair{dir: dir, names: [2]string{signerValidA, signerValidB}},
	}
}

// slotPair is a value kept in two slot files written in turn. Slot i holds
// the sequence numbers congruent to i mod 2.
type slotPair struct {
	dir   string
	names [2]string
	seq   uint64 // of the slot the next write must not overwrite
	// size is each slot file's size, when known (read or written by this
	// process); a file is synced into the directory on its first write.
	size  [2]int64
	known [2]bool
	buf   []byte // the slot being written, kept between writes
}

func (p *slotPair) path(seq uint64) string { return filepath.Join(p.dir, p.names[seq%2]) }

// intactSlot is a slot that passed its checks.
type intactSlot struct {
	seq     uint64
	payload []byte
}

// read returns the intact slots, newest first, and sets the pair to write
// after the newest. exists is false when neither slot file exists; slot files
// that exist but none intact are damage, not absence.
func (p *slotPair) read() (slots []intactSlot, exists bool, err error) {
	torn := 0
	for i, name := range p.names {
		raw, err := readIfExists(filepath.Join(p.dir, name))
		if err != nil {
			return nil, false, err
		}
		if raw == nil {
			continue
		}
		exists = true
		p.size[i], p.known[i] = int64(len(raw)), true
		var slot signerSlot
		if json.Unmarshal(raw, &slot) != nil || crc32.ChecksumIEEE(slot.Record) != slot.CRC32 || slot.Seq%2 != uint64(i) {
			torn++ // a write the crash cut short: the other slot is the value
			continue
		}
		slots = append(slots, intactSlot{seq: slot.Seq, payload: slot.Record})
	}
	if len(slots) == 2 && slots[1].seq > slots[0].seq {
		slots[0], slots[1] = slots[1], slots[0]
	}
	if torn > 0 && len(slots) == 0 {
		return nil, true, fmt.Errorf("signer state %s: no intact slot in %s and %s %s", p.dir, p.names[0], p.names[1], signerStateRemedy)
	}
	if len(slots) > 0 {
		p.seq = slots[0].seq
	}
	return slots, exists, nil
}

// write writes payload, compact JSON, into the slot after p.seq, in place,
// and syncs it; the first write of each slot file also syncs the directory,
// so that the file itself survives a crash. The slot is padded with spaces
// to its file's size, or to the next slotBlock if the value has outgrown
// it, so that the size stays put; a file more than four times what the
// value needs (after one huge block) is cut back.
func (p *slotPair) write(payload []byte) error {
	seq := p.seq + 1
	i := seq % 2
	p.buf = appendSlot(p.buf[:0], seq, payload)
	f, err := os.OpenFile(p.path(seq), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close() // a no-op after the Close below
	created := !p.known[i]
	if created {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		p.size[i] = fi.Size()
	}
	size := (int64(len(p.buf)) + slotBlock - 1) / slotBlock * slotBlock
	if p.size[i] > size && p.size[i] <= 4*size {
		size = p.size[i]
	}
	for len(p.buf) < int(size) {
		p.buf = append(p.buf, ' ')
	}
	if _, err := f.WriteAt(p.buf, 0); err != nil {
		return err
	}
	if p.size[i] > size {
		if err := f.Truncate(size); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if created {
		if err := syncDir(p.dir); err != nil {
			return err
		}
	}
	p.size[i], p.known[i], p.seq = size, true, seq
	return nil
}

// appendSlot appends the slot holding payload, compact JSON, at seq: what
// json.Marshal makes of a signerSlot, without its second pass over the
// payload (a quarter of a save's CPU with the valid value).
func appendSlot(b []byte, seq uint64, payload []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"crc32":`...)
	b = strconv.AppendUint(b, uint64(crc32.ChecksumIEEE(payload)), 10)
	b = append(b, `,"record":`...)
	b = append(b, payload...)
	return append(b, '}')
}

// appendValid appends the valid value's RLP as a JSON string (base64, as
// json.Marshal writes bytes).
func appendValid(b []byte, v *consensus.ValidValue) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v.Encode())
	return append(b, '"')
}

// load reads the newest intact record and the valid value it names; exists
// is false when there is no record at all.
//
// The valid value is the intact valid slot the record names (height, valid
// round and block), and only when neither does the newest one. save writes
// the valid value before the record, so a crash between the two leaves the
// new valid value beside the record before it, which names the previous
// valid value: that one is still in the other slot, and is what the core
// needs to re-propose its valid block. The pair then goes on writing over
// the slot not chosen, so that the one the record names survives the next
// write too.
func (s *signerState) load() (st consensus.StartState, exists bool, err error) {
	safety, err := s.newestRecord()
	if err != nil || safety == nil {
		return st, false, err
	}
	fail := func(err error) (consensus.StartState, bool, error) {
		return st, false, fmt.Errorf("signer state %s: %w %s", s.dir, err, signerStateRemedy)
	}
	if st.Safety, err = consensus.DecodeSafetyRecord(safety); err != nil {
		return fail(err)
	}
	slots, validExists, err := s.valid.read()
	if err != nil {
		return st, false, err
	}
	if !validExists {
		legacy, err := readIfExists(filepath.Join(s.dir, signerValidFile))
		if err != nil {
			return st, false, err
		}
		if legacy != nil {
			if st.Valid, err = consensus.DecodeValidValue(legacy); err != nil {
				return fail(err)
			}
		}
		return st, true, nil
	}
	for k, slot := range slots {
		var raw []byte
		if err := json.Unmarshal(slot.payload, &raw); err != nil {
			return fail(fmt.Errorf("valid slot %d: %w", slot.seq, err))
		}
		v, err := consensus.DecodeValidValue(raw)
		if err != nil {
			return fail(err)
		}
		if k == 0 {
			st.Valid = v // the newest, unless an older one is named
		}
		if namesValid(st.Safety, v) {
			st.Valid, s.valid.seq = v, slot.seq
			break
		}
	}
	return st, true, nil
}

// namesValid reports whether the record names v as its valid value: the
// test the core's restoreValid applies before it uses a valid value.
func namesValid(r *consensus.SafetyRecord, v *consensus.ValidValue) bool {
	return r.ValidRound >= 0 && int32(v.Round) == r.ValidRound && v.Block.Header.Height == r.Height && v.Block.Hash() == r.ValidBlock
}

// newestRecord is the record of the intact slot with the highest sequence
// number, or of the legacy file when there are no slots; nil when there is
// nothing.
func (s *signerState) newestRecord() ([]byte, error) {
	slots, exists, err := s.record.read()
	if err != nil {
		return nil, err
	}
	if exists {
		return slots[0].payload, nil // read fails when none is intact
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

// save persists what the core asked to persist: either may be nil. The
// valid value goes first: the record written after it may name it.
func (s *signerState) save(safety *consensus.SafetyRecord, valid *consensus.ValidValue) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("signer state: %w", err)
	}
	if valid != nil {
		s.validBuf = appendValid(s.validBuf[:0], valid)
		if err := s.valid.write(s.validBuf); err != nil {
			return fmt.Errorf("write signer valid value: %w", err)
		}
	}
	if safety != nil {
		if err := s.record.write(safety.Encode()); err != nil {
			return fmt.Errorf("write signer state: %w", err)
		}
	}
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
