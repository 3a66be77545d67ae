package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chainfile"
)

// The snapshot file (.sovsnap) uses the chain file's framing (ADR 0035):
// the magic and version, then one manifest frame, the chunk frames in
// order and an end frame counting them.
const (
	Magic   = "SOVSNAPS"
	Version = 1
)

// Frame kinds of a snapshot file.
const (
	KindManifest = 'M' // the manifest, RLP, first, once
	KindChunk    = 'K' // a chunk, RLP: chunks 0, 1, … in order
	KindEnd      = 'E' // RLP of End, last, once
)

// End is the end frame's payload.
type End struct {
	Chunks uint64
}

// writeFile writes a snapshot file: the manifest, then each chunk chunks
// yields, then the end marker.
func writeFile(w io.Writer, m *Manifest, chunks func(yield func(raw []byte) error) error) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := chainfile.WriteFileHeader(bw, Magic, Version); err != nil {
		return err
	}
	raw, err := EncodeManifest(m)
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := chainfile.WriteFrame(bw, KindManifest, raw); err != nil {
		return err
	}
	var n uint64
	err = chunks(func(raw []byte) error {
		n++
		return chainfile.WriteFrame(bw, KindChunk, raw)
	})
	if err != nil {
		return err
	}
	end, _ := rlp.EncodeToBytes(End{Chunks: n})
	if err := chainfile.WriteFrame(bw, KindEnd, end); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFile writes a snapshot file of a manifest and its chunks' encodings.
func WriteFile(w io.Writer, m *Manifest, chunks [][]byte) error {
	return writeFile(w, m, func(yield func([]byte) error) error {
		for _, c := range chunks {
			if err := yield(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reader reads a snapshot file: the manifest first, then chunk by chunk.
// It checks the file's structure only; Importer verifies what it reads.
type Reader struct {
	r      io.Reader
	m      *Manifest
	chunks int
	done   bool
}

// NewReader reads the file header and the manifest.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	v, ok, err := chainfile.ReadFileHeader(br, Magic)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: header: %v", ErrNotSnapshot, err)
	case !ok:
		return nil, fmt.Errorf("%w: it opens with another magic", ErrNotSnapshot)
	case v != Version:
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrVersion, v, Version)
	}
	sr := &Reader{r: br}
	kind, payload, err := sr.frame()
	if err != nil {
		return nil, err
	}
	if kind != KindManifest {
		return nil, fmt.Errorf("%w: first frame is %q, want the manifest", ErrMalformed, kind)
	}
	if sr.m, err = DecodeManifest(payload); err != nil {
		return nil, err
	}
	return sr, nil
}

// Manifest is the file's manifest, unverified.
func (r *Reader) Manifest() *Manifest { return r.m }

func (r *Reader) frame() (byte, []byte, error) {
	kind, payload, err := chainfile.ReadFrame(r.r)
	var fe *chainfile.FrameError
	switch {
	case err == nil:
		return kind, payload, nil
	case errors.Is(err, chainfile.ErrFrameTooLarge):
		return 0, nil, fmt.Errorf("%w: after chunk %d: %v", ErrMalformed, r.chunks, err)
	case errors.As(err, &fe) && fe.Want > 0:
		return 0, nil, fmt.Errorf("%w: ends inside the frame after %d chunks (%d of its %d bytes)", ErrTruncated, r.chunks, fe.Got, fe.Want)
	default:
		return 0, nil, fmt.Errorf("%w: ends after %d chunks without its end marker", ErrTruncated, r.chunks)
	}
}

// NextChunk returns the next chunk's encoding, or io.EOF once the end
// marker is read and counts the chunks read, as many as the manifest lists.
func (r *Reader) NextChunk() ([]byte, error) {
	if r.done {
		return nil, io.EOF
	}
	kind, payload, err := r.frame()
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindChunk:
		if r.chunks == len(r.m.Chunks) {
			return nil, fmt.Errorf("%w: more chunks than the %d the manifest lists", ErrMalformed, len(r.m.Chunks))
		}
		r.chunks++
		return payload, nil
	case KindEnd:
		var e End
		if err := rlp.DecodeBytes(payload, &e); err != nil {
			return nil, fmt.Errorf("%w: end marker: %v", ErrMalformed, err)
		}
		if e.Chunks != uint64(r.chunks) {
			return nil, fmt.Errorf("%w: end marker counts %d chunks, the file holds %d", ErrTruncated, e.Chunks, r.chunks)
		}
		if r.chunks != len(r.m.Chunks) {
			return nil, fmt.Errorf("%w: chunk %d: the file holds %d of the manifest's %d", ErrChunkMissing, r.chunks, r.chunks, len(r.m.Chunks))
		}
		r.done = true
		return nil, io.EOF
	}
	return nil, fmt.Errorf("%w: frame kind %q after %d chunks", ErrMalformed, kind, r.chunks)
}

// File is a snapshot file opened for serving chunks by index (the node's
// side of the snapshot protocol). Opening reads the structure once.
type File struct {
	f        *os.File
	manifest *Manifest
	raw      []byte // the manifest's encoding
	offsets  []int64
	sizes    []int
}

// OpenFile opens and indexes a snapshot file.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sf, err := indexFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("snapshot file %s: %w", path, err)
	}
	return sf, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func indexFile(f *os.File) (*File, error) {
	cr := &countingReader{r: bufio.NewReaderSize(f, 1<<20)}
	// The counter sits above the buffer, so it counts what the frames
	// consumed: the offsets in the file.
	r := &Reader{r: cr}
	v, ok, err := chainfile.ReadFileHeader(cr, Magic)
	if err != nil || !ok || v != Version {
		return nil, fmt.Errorf("%w (or version %d)", ErrNotSnapshot, v)
	}
	kind, payload, err := r.frame()
	if err != nil {
		return nil, err
	}
	if kind != KindManifest {
		return nil, fmt.Errorf("%w: first frame is %q, want the manifest", ErrMalformed, kind)
	}
	m, err := DecodeManifest(payload)
	if err != nil {
		return nil, err
	}
	r.m = m
	sf := &File{f: f, manifest: m, raw: payload}
	for {
		at := cr.n
		raw, err := r.NextChunk()
		if err == io.EOF {
			return sf, nil
		}
		if err != nil {
			return nil, err
		}
		sf.offsets = append(sf.offsets, at+chainfile.FrameHeaderSize)
		sf.sizes = append(sf.sizes, len(raw))
	}
}

// Path is the file's path.
func (f *File) Path() string { return f.f.Name() }

// Manifest is the file's manifest.
func (f *File) Manifest() *Manifest { return f.manifest }

// ManifestBytes is the manifest's encoding as the file holds it.
func (f *File) ManifestBytes() []byte { return f.raw }

// Chunk reads chunk i's encoding.
func (f *File) Chunk(i int) ([]byte, error) {
	if i < 0 || i >= len(f.offsets) {
		return nil, fmt.Errorf("%w: chunk %d of %d", ErrChunkMissing, i, len(f.offsets))
	}
	buf := make([]byte, f.sizes[i])
	if _, err := f.f.ReadAt(buf, f.offsets[i]); err != nil {
		return nil, fmt.Errorf("read chunk %d: %w", i, err)
	}
	return buf, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
