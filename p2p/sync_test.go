package p2p

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// encodeSynced is the wire form of blocks from..to of src, built without
// the server, so a test can serve bytes the server never would.
func encodeSynced(t testing.TB, src *memSource, heights ...uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, h := range heights {
		if err := rlp.Encode(&buf, &SyncedBlock{Block: src.blocks[h-1], Cert: src.certs[h-1]}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func heights(from, to uint64) []uint64 {
	var out []uint64
	for h := from; h <= to; h++ {
		out = append(out, h)
	}
	return out
}

// checkChain verifies fetched blocks as the node will: consecutive from
// from, linked by parent hash, each proved final by its certificate.
func checkChain(t *testing.T, got []SyncedBlock, from uint64, parent *chain.Block) {
	t.Helper()
	vs := testValidatorSet(t)
	for i, sb := range got {
		if sb.Block.Height() != from+uint64(i) {
			t.Fatalf("block %d has height %d, want %d", i, sb.Block.Height(), from+uint64(i))
		}
		if parent != nil && sb.Block.Header.Parent != parent.Hash() {
			t.Fatalf("block %d does not link to its parent", sb.Block.Height())
		}
		if sb.Cert.BlockHash != sb.Block.Hash() || sb.Cert.Height != sb.Block.Height() {
			t.Fatalf("block %d: certificate is for another block", sb.Block.Height())
		}
		if err := sb.Cert.Verify(testChainID, vs); err != nil {
			t.Fatalf("block %d: %v", sb.Block.Height(), err)
		}
		if len(sb.Block.Txs) != 1 || ledger.TxRoot(sb.Block.Txs) != sb.Block.Header.TxRoot {
			t.Fatalf("block %d: transactions do not match the header", sb.Block.Height())
		}
		parent = sb.Block
	}
}

// TestSyncCatchesUp: a node behind fetches a peer's whole chain, at most
// MaxSyncBlocks a request, every block with a certificate that proves it.
func TestSyncCatchesUp(t *testing.T) {
	const total = 2*MaxSyncBlocks + 22
	src := newMemSource(t, total)
	server := startNetwork(t, 0, func(c *Config) { c.Blocks = src })
	behind := startNetwork(t, 1, nil)
	mustConnect(t, behind, server)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var have []SyncedBlock
	requests := 0
	for {
		var parent *chain.Block
		if len(have) > 0 {
			parent = have[len(have)-1].Block
		}
		from := uint64(len(have)) + 1
		got, err := behind.FetchBlocks(ctx, server.ID(), from, 1000)
		if err != nil {
			t.Fatalf("fetch from %d: %v", from, err)
		}
		requests++
		if len(got) > MaxSyncBlocks {
			t.Fatalf("one fetch returned %d blocks, limit %d", len(got), MaxSyncBlocks)
		}
		checkChain(t, got, from, parent)
		if len(got) == 0 {
			break
		}
		have = append(have, got...)
	}
	if len(have) != total || requests != 4 {
		t.Fatalf("fetched %d blocks in %d requests, want %d in 4", len(have), requests, total)
	}
	if have[total-1].Block.Hash() != src.blocks[total-1].Hash() {
		t.Fatal("the fetched head is not the server's head")
	}
}

// TestServedRange: what a server writes for a request, read back by the
// client's decoder: consecutive blocks from From, never past the head,
// never more than MaxSyncBlocks or the byte limit.
func TestServedRange(t *testing.T) {
	src := newMemSource(t, 100)
	oneBlock, threeBlocks := len(encodeSynced(t, src, 1)), len(encodeSynced(t, src, 1, 2, 3))
	for _, tc := range []struct {
		name        string
		req         syncRequest
		limit       int
		first, want uint64
	}{
		{"from genesis", syncRequest{From: 1, Count: 10}, maxSyncBytes, 1, 10},
		{"count capped", syncRequest{From: 1, Count: 1000}, maxSyncBytes, 1, MaxSyncBlocks},
		{"up to the head", syncRequest{From: 95, Count: 64}, maxSyncBytes, 95, 6},
		{"the head", syncRequest{From: 100, Count: 1}, maxSyncBytes, 100, 1},
		{"past the head", syncRequest{From: 101, Count: 5}, maxSyncBytes, 0, 0},
		{"height zero", syncRequest{From: 0, Count: 5}, maxSyncBytes, 0, 0},
		{"count zero", syncRequest{From: 3, Count: 0}, maxSyncBytes, 0, 0},
		{"overflowing range", syncRequest{From: math.MaxUint64, Count: math.MaxUint64}, maxSyncBytes, 0, 0},
		{"byte limit", syncRequest{From: 1, Count: 64}, threeBlocks + oneBlock/2, 1, 3},
		{"byte limit met exactly", syncRequest{From: 1, Count: 64}, threeBlocks, 1, 3},
		{"limit below one block", syncRequest{From: 1, Count: 64}, oneBlock - 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeSyncResponse(&buf, src, tc.req, tc.limit); err != nil {
				t.Fatal(err)
			}
			if buf.Len() > tc.limit {
				t.Fatalf("wrote %d bytes, limit %d", buf.Len(), tc.limit)
			}
			got, err := readSyncResponse(&buf, tc.req.From, tc.req.Count, uint64(tc.limit))
			if err != nil {
				t.Fatalf("the client refuses an honest answer: %v", err)
			}
			if uint64(len(got)) != tc.want {
				t.Fatalf("served %d blocks, want %d", len(got), tc.want)
			}
			if tc.want > 0 {
				checkChain(t, got, tc.first, nil)
			}
		})
	}
}

// servePeer starts a network whose sync handler answers every request
// with whatever serve writes.
func servePeer(t *testing.T, i int, serve func(s network.Stream, req syncRequest)) *Network {
	t.Helper()
	n := startNetwork(t, i, nil)
	n.host.SetStreamHandler(n.syncProtocol(), func(s network.Stream) {
		req, err := readSyncRequest(s)
		if err != nil {
			_ = s.Reset()
			return
		}
		serve(s, req)
		_ = s.Close()
	})
	return n
}

// TestSyncRefusesBadPeers: a peer that answers with garbage, a truncated
// block, blocks other than those asked for, more blocks than asked for, or
// a value larger than the response limit is refused with
// ErrBadSyncResponse and none of its blocks are used; the node can still
// sync from an honest peer afterwards.
func TestSyncRefusesBadPeers(t *testing.T) {
	src := newMemSource(t, MaxSyncBlocks+2)
	all := encodeSynced(t, src, heights(1, MaxSyncBlocks+1)...)
	two := encodeSynced(t, src, 1, 2)
	for _, tc := range []struct {
		name  string
		count uint64
		reply []byte
	}{
		{"garbage", 4, []byte("this is not rlp at all, it is a string of text")},
		{"not a list", 4, []byte{0x83, 'a', 'b', 'c'}},
		{"empty block", 4, []byte{0xc2, 0xc0, 0xc0}},
		{"truncated block", 4, two[:len(two)-10]},
		{"trailing byte", 4, append(append([]byte{}, two...), 0x01)},
		{"wrong first height", 4, encodeSynced(t, src, 2, 3)},
		{"gap", 4, encodeSynced(t, src, 1, 2, 4)},
		{"repeated block", 4, encodeSynced(t, src, 1, 1)},
		{"more than asked", 2, encodeSynced(t, src, 1, 2, 3)},
		{"more than MaxSyncBlocks", MaxSyncBlocks, all},
		{"value over the response limit", 4, []byte{0xfb, 0x10, 0x00, 0x00, 0x00}}, // a list claiming 256 MiB
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := servePeer(t, 1, func(s network.Stream, _ syncRequest) { _, _ = s.Write(tc.reply) })
			client := startNetwork(t, 2, nil)
			mustConnect(t, client, bad)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			got, err := client.FetchBlocks(ctx, bad.ID(), 1, tc.count)
			if !errors.Is(err, ErrBadSyncResponse) {
				t.Fatalf("got %d blocks and error %v, want %v", len(got), err, ErrBadSyncResponse)
			}
			if got != nil {
				t.Fatalf("%d blocks returned with the error", len(got))
			}
			if d := time.Since(start); d > syncIOTimeout/2 {
				t.Fatalf("refusal took %s: the client waited for the timeout", d)
			}
		})
	}

	// An honest peer that is short of blocks is not refused.
	short := servePeer(t, 3, func(s network.Stream, _ syncRequest) { _, _ = s.Write(two) })
	client := startNetwork(t, 4, nil)
	mustConnect(t, client, short)
	got, err := client.FetchBlocks(context.Background(), short.ID(), 1, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("short answer: %d blocks, %v", len(got), err)
	}
	checkChain(t, got, 1, nil)
}

// TestSyncTimeouts: a peer that reads the request and never answers costs
// the caller no more than its context allows, whether the context ends by
// deadline or by cancellation.
func TestSyncTimeouts(t *testing.T) {
	release := make(chan struct{})
	silent := servePeer(t, 1, func(network.Stream, syncRequest) { <-release })
	t.Cleanup(func() { close(release) })
	client := startNetwork(t, 2, nil)
	mustConnect(t, client, silent)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := client.FetchBlocks(ctx, silent.ID(), 1, 4); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrBadSyncResponse) {
		t.Fatalf("deadline: %v", err)
	}
	if d := time.Since(start); d > syncIOTimeout/2 {
		t.Fatalf("deadline of 300ms returned after %s", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	if _, err := client.FetchBlocks(ctx, silent.ID(), 1, 4); !errors.Is(err, context.Canceled) || errors.Is(err, ErrBadSyncResponse) {
		t.Fatalf("cancel: %v", err)
	}
	if d := time.Since(start); d > syncIOTimeout/2 {
		t.Fatalf("cancel after 300ms returned after %s", d)
	}
}

// TestSyncReadFailureIsNotBadContent: a stream that fails while a block is
// being read (timeout, reset) reports that failure, not ErrBadSyncResponse:
// the peer did not send anything wrong.
func TestSyncReadFailureIsNotBadContent(t *testing.T) {
	src := newMemSource(t, 2)
	two := encodeSynced(t, src, 1, 2)
	failure := errors.New("stream reset")
	for _, cut := range []int{0, 1, len(two) / 2, len(two) - 1} {
		r := io.MultiReader(bytes.NewReader(two[:cut]), iotest.ErrReader(failure))
		got, err := readSyncResponse(r, 1, 2, maxSyncBytes)
		if !errors.Is(err, failure) || errors.Is(err, ErrBadSyncResponse) || got != nil {
			t.Fatalf("cut at %d: %d blocks, %v", cut, len(got), err)
		}
	}
	// The same bytes ending cleanly are a truncated answer: bad content.
	if _, err := readSyncResponse(bytes.NewReader(two[:len(two)/2]), 1, 2, maxSyncBytes); !errors.Is(err, ErrBadSyncResponse) {
		t.Fatalf("truncated answer: %v", err)
	}
}

// TestServeSyncRefusesBadRequests: a request that does not decode, or is
// larger than a request can be, is answered by resetting the stream,
// without a single block.
func TestServeSyncRefusesBadRequests(t *testing.T) {
	server := startNetwork(t, 0, func(c *Config) { c.Blocks = newMemSource(t, 3) })
	client := startNetwork(t, 1, nil)
	mustConnect(t, client, server)
	good, _ := rlp.EncodeToBytes(&syncRequest{From: 1, Count: 3})
	for _, tc := range []struct {
		name   string
		req    []byte
		served bool
	}{
		{"good", good, true},
		{"garbage", []byte{0xff, 0x00, 0x01}, false},
		{"empty", nil, false},
		{"oversize", append([]byte{0xf8, 200}, make([]byte, 200)...), false},
		{"negative-looking count", []byte{0xc3, 0x01, 0x81, 0x00}, false}, // non-canonical integer
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := client.host.NewStream(ctx, server.ID(), server.syncProtocol())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_ = s.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = s.Write(tc.req)
			_ = s.CloseWrite()
			reply, err := io.ReadAll(s)
			if tc.served {
				if err != nil {
					t.Fatal(err)
				}
				got, err := readSyncResponse(bytes.NewReader(reply), 1, 3, maxSyncBytes)
				if err != nil || len(got) != 3 {
					t.Fatalf("good request: %d blocks, %v", len(got), err)
				}
				return
			}
			if err == nil || len(reply) != 0 {
				t.Fatalf("bad request answered with %d bytes (read error %v), want a reset", len(reply), err)
			}
		})
	}
}
