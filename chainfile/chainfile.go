package chainfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Magic opens every chain file; Version follows it as a big-endian uint16.
const (
	Magic   = "SOVCHAIN"
	Version = 1
)

// Frame kinds, in the order a file holds them: one genesis, any number of
// blocks, one final certificate, one end marker.
const (
	KindGenesis     = 'G' // the genesis document, as the JSON whose Keccak-256 is its hash
	KindBlock       = 'B' // a block, canonical RLP
	KindCertificate = 'F' // the last block's commit certificate, canonical RLP
	KindEnd         = 'E' // RLP of End: what a complete file holds
)

// MaxFrame bounds one frame's payload: a block is capped far below it by
// the genesis parameters, so a larger length is damage, not data.
const MaxFrame = 64 << 20

// End is the end marker's payload.
type End struct {
	Blocks uint64 // block frames in the file
}

// Errors a reader returns; each wraps the detail.
var (
	ErrNotChainFile = errors.New("not a chain file")
	ErrVersion      = errors.New("unsupported chain file version")
	ErrTruncated    = errors.New("chain file is truncated")
	ErrMalformed    = errors.New("chain file is malformed")
)

// Writer writes a chain file. Call WriteBlock for heights 1, 2, … in order,
// then Finish with the last block's certificate.
type Writer struct {
	w      *bufio.Writer
	blocks uint64
}

// NewWriter writes the file header and the genesis frame.
func NewWriter(w io.Writer, g *chain.Genesis) (*Writer, error) {
	raw, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode genesis: %w", err)
	}
	cw := &Writer{w: bufio.NewWriterSize(w, 1<<20)}
	if err := WriteFileHeader(cw.w, Magic, Version); err != nil {
		return nil, err
	}
	return cw, cw.frame(KindGenesis, raw)
}

func (w *Writer) frame(kind byte, payload []byte) error { return WriteFrame(w.w, kind, payload) }

// WriteBlock appends a block.
func (w *Writer) WriteBlock(b *chain.Block) error { return w.WriteRawBlock(b.Bytes()) }

// WriteRawBlock appends a block already in its canonical encoding (export
// copies stored blocks without decoding them).
func (w *Writer) WriteRawBlock(raw []byte) error {
	w.blocks++
	return w.frame(KindBlock, raw)
}

// Blocks is how many blocks were written.
func (w *Writer) Blocks() uint64 { return w.blocks }

// Finish writes the last block's certificate and the end marker and
// flushes. cert is nil only for a chain of the genesis alone.
func (w *Writer) Finish(cert *chain.Certificate) error {
	if cert != nil {
		raw, err := rlp.EncodeToBytes(cert)
		if err != nil {
			return err
		}
		if err := w.frame(KindCertificate, raw); err != nil {
			return err
		}
	}
	raw, err := rlp.EncodeToBytes(End{Blocks: w.blocks})
	if err != nil {
		return err
	}
	if err := w.frame(KindEnd, raw); err != nil {
		return err
	}
	return w.w.Flush()
}

// Reader reads a chain file frame by frame.
type Reader struct {
	r       *bufio.Reader
	genesis *chain.Genesis
	raw     []byte // the genesis frame as written
	blocks  uint64
	final   *chain.Certificate
	done    bool
	offset  int64
}

// NewReader checks the file header and reads the genesis frame.
func NewReader(r io.Reader) (*Reader, error) {
	cr := &Reader{r: bufio.NewReaderSize(r, 1<<20)}
	v, ok, err := ReadFileHeader(cr.r, Magic)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: header: %v", ErrNotChainFile, err)
	case !ok:
		return nil, fmt.Errorf("%w: magic is another", ErrNotChainFile)
	case v != Version:
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrVersion, v, Version)
	}
	cr.offset = int64(len(Magic) + 2)
	kind, payload, err := cr.next()
	if err != nil {
		return nil, err
	}
	if kind != KindGenesis {
		return nil, fmt.Errorf("%w: first frame is %q, want the genesis", ErrMalformed, kind)
	}
	g, err := chain.ParseGenesis(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: genesis: %v", ErrMalformed, err)
	}
	cr.genesis, cr.raw = g, payload
	return cr, nil
}

// Genesis is the file's genesis document.
func (r *Reader) Genesis() *chain.Genesis { return r.genesis }

// GenesisJSON is the genesis frame's bytes as written.
func (r *Reader) GenesisJSON() []byte { return bytes.Clone(r.raw) }

// Offset is how many bytes of the file were read (for progress).
func (r *Reader) Offset() int64 { return r.offset }

func (r *Reader) next() (byte, []byte, error) {
	kind, payload, err := ReadFrame(r.r)
	var fe *FrameError
	switch {
	case err == nil:
	case errors.Is(err, ErrFrameTooLarge):
		return 0, nil, fmt.Errorf("%w: %v after %d blocks", ErrMalformed, err, r.blocks)
	case errors.As(err, &fe) && fe.Want > 0:
		return 0, nil, fmt.Errorf("%w: ends inside the frame after block %d (%d of its %d bytes)", ErrTruncated, r.blocks, fe.Got, fe.Want)
	case errors.Is(err, io.EOF):
		return 0, nil, fmt.Errorf("%w: ends after %d blocks without its end marker", ErrTruncated, r.blocks)
	default:
		return 0, nil, fmt.Errorf("%w: frame header after %d blocks: %v", ErrTruncated, r.blocks, err)
	}
	r.offset += FrameHeaderSize + int64(len(payload))
	return kind, payload, nil
}

// NextRaw returns the next block's canonical encoding, or io.EOF after the
// last block once the certificate and end marker are read and agree.
func (r *Reader) NextRaw() ([]byte, error) {
	if r.done {
		return nil, io.EOF
	}
	kind, payload, err := r.next()
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindBlock:
		if r.final != nil {
			return nil, fmt.Errorf("%w: a block after the final certificate", ErrMalformed)
		}
		r.blocks++
		return payload, nil
	case KindCertificate:
		if r.final != nil {
			return nil, fmt.Errorf("%w: two final certificates", ErrMalformed)
		}
		c := new(chain.Certificate)
		if err := rlp.DecodeBytes(payload, c); err != nil {
			return nil, fmt.Errorf("%w: final certificate: %v", ErrMalformed, err)
		}
		r.final = c
		return r.NextRaw()
	case KindEnd:
		var e End
		if err := rlp.DecodeBytes(payload, &e); err != nil {
			return nil, fmt.Errorf("%w: end marker: %v", ErrMalformed, err)
		}
		if e.Blocks != r.blocks {
			return nil, fmt.Errorf("%w: end marker counts %d blocks, the file holds %d", ErrTruncated, e.Blocks, r.blocks)
		}
		r.done = true
		return nil, io.EOF
	}
	return nil, fmt.Errorf("%w: frame kind %q after %d blocks", ErrMalformed, kind, r.blocks)
}

// Next returns the next block, decoded, or io.EOF after the last one.
func (r *Reader) Next() (*chain.Block, error) {
	raw, err := r.NextRaw()
	if err != nil {
		return nil, err
	}
	b, err := chain.DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: block frame %d: %v", ErrMalformed, r.blocks, err)
	}
	return b, nil
}

// Final is the last block's certificate, once Next has returned io.EOF
// (nil for a file of the genesis alone).
func (r *Reader) Final() *chain.Certificate { return r.final }
