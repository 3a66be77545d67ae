package p2p

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// sliceSource serves decoded blocks again, so a fuzz target can push what
// the client accepted back through the server's encoder.
type sliceSource []SyncedBlock

func (s sliceSource) HeadHeight() uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].Block.Height()
}

func (s sliceSource) at(h uint64) *SyncedBlock {
	if len(s) == 0 || h < s[0].Block.Height() || h > s.HeadHeight() {
		return nil
	}
	return &s[h-s[0].Block.Height()]
}

func (s sliceSource) BlockByHeight(h uint64) (*chain.Block, error) {
	if sb := s.at(h); sb != nil {
		return sb.Block, nil
	}
	return nil, errors.New("no block")
}

func (s sliceSource) Certificate(h uint64) (*chain.Certificate, error) {
	if sb := s.at(h); sb != nil {
		return sb.Cert, nil
	}
	return nil, errors.New("no certificate")
}

// FuzzSyncResponse feeds arbitrary bytes to readSyncResponse, the decoder
// FetchBlocks runs on a peer's answer. It must never panic; an accepted
// answer holds at most what was asked, consecutive from the height asked
// for, and the server's encoder writes it back as bytes the decoder reads
// to the same blocks.
func FuzzSyncResponse(f *testing.F) {
	src := newMemSource(f, 3)
	f.Add(uint8(1), uint8(3), encodeSynced(f, src, 1, 2, 3))
	f.Add(uint8(2), uint8(2), encodeSynced(f, src, 2, 3))
	f.Add(uint8(1), uint8(1), encodeSynced(f, src, 1, 2))
	f.Add(uint8(1), uint8(4), encodeSynced(f, src, 1, 3))
	f.Add(uint8(1), uint8(4), []byte{0xc0})
	f.Add(uint8(1), uint8(4), []byte{0xfb, 0x10, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, from, count uint8, data []byte) {
		const limit = 1 << 20
		got, err := readSyncResponse(bytes.NewReader(data), uint64(from), uint64(count), limit)
		if err != nil {
			if !errors.Is(err, ErrBadSyncResponse) {
				t.Fatalf("error %v does not wrap ErrBadSyncResponse", err)
			}
			if got != nil {
				t.Fatal("blocks returned with an error")
			}
			return
		}
		if len(got) > int(count) || len(got) > MaxSyncBlocks {
			t.Fatalf("accepted %d blocks when %d were asked for", len(got), count)
		}
		for i, sb := range got {
			if sb.Block == nil || sb.Block.Header == nil || sb.Cert == nil || sb.Block.Height() != uint64(from)+uint64(i) {
				t.Fatalf("accepted block %d is incomplete or at the wrong height", i)
			}
		}
		if len(got) == 0 {
			return
		}
		var again bytes.Buffer
		if err := writeSyncResponse(&again, sliceSource(got), syncRequest{From: uint64(from), Count: uint64(count)}, limit); err != nil {
			t.Fatalf("server cannot encode what the client accepted: %v", err)
		}
		back, err := readSyncResponse(&again, uint64(from), uint64(count), limit)
		if err != nil || len(back) != len(got) {
			t.Fatalf("re-served answer: %d of %d blocks, %v", len(back), len(got), err)
		}
		for i := range got {
			if back[i].Block.Hash() != got[i].Block.Hash() || !bytes.Equal(rlpBytes(t, back[i].Cert), rlpBytes(t, got[i].Cert)) {
				t.Fatalf("block %d changed in a round trip", i)
			}
		}
	})
}

func rlpBytes(t *testing.T, v any) []byte {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzSyncRequest: readSyncRequest, the decoder a server runs on a peer's
// bytes, never panics, refuses with ErrBadSyncRequest, and whatever it
// accepts is the canonical encoding of the request.
func FuzzSyncRequest(f *testing.F) {
	for _, req := range []syncRequest{{From: 5, Count: 64}, {From: 1, Count: 0}, {From: 1 << 63, Count: 1 << 63}} {
		raw, _ := rlp.EncodeToBytes(&req)
		f.Add(raw)
	}
	f.Add([]byte{0xc3, 0x01, 0x81, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := readSyncRequest(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadSyncRequest) {
				t.Fatalf("error %v does not wrap ErrBadSyncRequest", err)
			}
			return
		}
		if enc := rlpBytes(t, &req); !bytes.HasPrefix(data, enc) {
			t.Fatalf("accepted %x as %+v, whose encoding is %x", data, req, enc)
		}
	})
}
