package chainfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The framing every portable file of the node uses (the chain file here,
// the state snapshot file of package snapshot): a magic string and a
// big-endian uint16 version, then frames of kind (1 byte) | length
// (uint32, big-endian) | payload, each at most MaxFrame bytes.

// ErrFrameTooLarge means a frame's length exceeds MaxFrame: damage, not data.
var ErrFrameTooLarge = errors.New("frame exceeds the maximum size")

// WriteFileHeader writes magic and version.
func WriteFileHeader(w io.Writer, magic string, version uint16) error {
	hdr := make([]byte, len(magic)+2)
	copy(hdr, magic)
	binary.BigEndian.PutUint16(hdr[len(magic):], version)
	_, err := w.Write(hdr)
	return err
}

// ReadFileHeader reads the header a file of this magic opens with and
// returns its version; ok is false when the magic is another.
func ReadFileHeader(r io.Reader, magic string) (version uint16, ok bool, err error) {
	hdr := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return 0, false, err
	}
	if string(hdr[:len(magic)]) != magic {
		return 0, false, nil
	}
	return binary.BigEndian.Uint16(hdr[len(magic):]), true, nil
}

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, kind byte, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", len(payload), MaxFrame)
	}
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// FrameError says where reading a frame stopped: io.EOF before its first
// byte (the file ended on a frame boundary), io.ErrUnexpectedEOF inside its
// header, or inside its payload (Got of Want bytes), or ErrFrameTooLarge.
type FrameError struct {
	Err       error
	Got, Want int
}

func (e *FrameError) Error() string {
	if e.Want > 0 {
		return fmt.Sprintf("ends inside a frame (%d of its %d bytes)", e.Got, e.Want)
	}
	return e.Err.Error()
}

func (e *FrameError) Unwrap() error { return e.Err }

// ReadFrame reads one frame; the error is a *FrameError.
func ReadFrame(r io.Reader) (kind byte, payload []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, &FrameError{Err: err}
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > MaxFrame {
		return 0, nil, &FrameError{Err: fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)}
	}
	payload = make([]byte, n)
	if got, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, &FrameError{Err: io.ErrUnexpectedEOF, Got: got, Want: int(n)}
	}
	return head[0], payload, nil
}

// FrameHeaderSize is the bytes a frame adds to its payload.
const FrameHeaderSize = 5
