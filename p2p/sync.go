package p2p

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/sovereign-ledger/sovereign/chain"
)

// BlockSource is what the sync protocol serves: final blocks with their
// commit certificates.
type BlockSource interface {
	HeadHeight() uint64
	BlockByHeight(h uint64) (*chain.Block, error)
	Certificate(h uint64) (*chain.Certificate, error)
}

// SyncedBlock is a final block and the certificate that proves it final.
type SyncedBlock struct {
	Block *chain.Block
	Cert  *chain.Certificate
}

type syncRequest struct {
	From  uint64
	Count uint64
}

// Limits of one sync exchange.
const (
	MaxSyncBlocks  = 64
	maxSyncBytes   = 64 << 20
	syncIOTimeout  = 10 * time.Second
	maxRequestSize = 64
)

// Errors of the sync protocol: a peer that sent these broke the protocol,
// as opposed to one that could not be reached.
var (
	ErrBadSyncRequest  = errors.New("bad sync request")
	ErrBadSyncResponse = errors.New("bad sync response")
)

func (n *Network) syncProtocol() protocol.ID {
	return protocol.ID(fmt.Sprintf("/sovereign/%s/sync/1", n.cfg.ChainID))
}

// serveSync answers one request: up to Count blocks from From, each with its
// certificate, then the stream closes. The head block's certificate exists
// too: it is stored with the block.
func (n *Network) serveSync(s network.Stream) {
	_ = s.SetDeadline(time.Now().Add(syncIOTimeout))
	req, err := readSyncRequest(s)
	if err == nil {
		w := bufio.NewWriter(s)
		if err = writeSyncResponse(w, n.cfg.Blocks, req, maxSyncBytes); err == nil {
			err = w.Flush()
		}
	}
	if err != nil {
		n.log.Debug("sync request not served", "peer", s.Conn().RemotePeer(), "err", err)
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// readSyncRequest decodes the request a peer sends on a sync stream.
func readSyncRequest(r io.Reader) (syncRequest, error) {
	var req syncRequest
	if err := rlp.NewStream(r, maxRequestSize).Decode(&req); err != nil {
		return syncRequest{}, fmt.Errorf("%w: %v", ErrBadSyncRequest, err)
	}
	return req, nil
}

// writeSyncResponse writes what req asks for and src has: consecutive
// blocks from req.From, each with its certificate, at most MaxSyncBlocks and
// never more than limit bytes in all, so an honest answer is always one
// readSyncResponse accepts; a node far behind on large blocks gets fewer
// blocks per request rather than none.
func writeSyncResponse(w io.Writer, src BlockSource, req syncRequest, limit int) error {
	head := src.HeadHeight()
	if req.From == 0 || req.From > head {
		return nil
	}
	count := min(req.Count, MaxSyncBlocks, head-req.From+1)
	written := 0
	for h := req.From; h < req.From+count; h++ {
		b, err := src.BlockByHeight(h)
		if err != nil {
			return nil // serve what we have
		}
		c, err := src.Certificate(h)
		if err != nil {
			return nil
		}
		enc, err := rlp.EncodeToBytes(&SyncedBlock{Block: b, Cert: c})
		if err != nil {
			return fmt.Errorf("encode block %d: %w", h, err)
		}
		if written+len(enc) > limit {
			return nil
		}
		if _, err := w.Write(enc); err != nil {
			return err
		}
		written += len(enc)
	}
	return nil
}

// readSyncResponse decodes a peer's answer to a request for count blocks
// from height from: consecutive blocks starting at from, each with a
// certificate, no more than asked for and no more than limit bytes in all.
// Anything else is ErrBadSyncResponse and none of the blocks are returned;
// a failure to read (timeout, reset) is returned as it is, since it says
// nothing about what the peer sent. Whether the certificates prove the
// blocks final is the caller's check.
func readSyncResponse(r io.Reader, from, count, limit uint64) ([]SyncedBlock, error) {
	count = min(count, MaxSyncBlocks)
	in := &readErrs{r: r}
	s := rlp.NewStream(in, limit)
	var out []SyncedBlock
	bad := func(format string, args ...any) ([]SyncedBlock, error) {
		if in.err != nil {
			return nil, fmt.Errorf("read block %d: %w", len(out), in.err)
		}
		return nil, fmt.Errorf("%w: %s", ErrBadSyncResponse, fmt.Sprintf(format, args...))
	}
	for {
		if uint64(len(out)) == count {
			if _, _, err := s.Kind(); err != io.EOF {
				return bad("more than the %d blocks asked for", count)
			}
			return out, nil
		}
		var sb SyncedBlock
		if err := s.Decode(&sb); err == io.EOF {
			return out, nil
		} else if err != nil {
			return bad("block %d: %v", len(out), err)
		}
		want := from + uint64(len(out))
		switch {
		case sb.Block == nil || sb.Block.Header == nil || sb.Cert == nil:
			return bad("block %d is incomplete", len(out))
		case sb.Block.Height() != want:
			return bad("block at height %d, want %d", sb.Block.Height(), want)
		}
		out = append(out, sb)
	}
}

// readErrs remembers the reader's own failure (other than the end of the
// stream), which the RLP decoder would otherwise report like bad content.
type readErrs struct {
	r   io.Reader
	err error
}

func (e *readErrs) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// FetchBlocks asks p for up to count (at most MaxSyncBlocks) blocks from
// height from. The exchange ends when ctx is done or after syncIOTimeout,
// whichever is sooner. The caller verifies each block and certificate
// before using it.
func (n *Network) FetchBlocks(ctx context.Context, p peer.ID, from, count uint64) ([]SyncedBlock, error) {
	count = min(count, MaxSyncBlocks)
	var blocks []SyncedBlock
	err := n.exchange(ctx, p, n.syncProtocol(), syncIOTimeout, &syncRequest{From: from, Count: count}, func(r io.Reader) (err error) {
		blocks, err = readSyncResponse(r, from, count, maxSyncBytes)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sync from %s: %w", p, err)
	}
	return blocks, nil
}

// exchange sends one request to p on a new stream of proto and reads the
// answer with read. It ends when ctx is done or after timeout, whichever
// is sooner; resetting the stream when ctx is done (rather than setting
// its deadline) means ctx.Err() is set whenever ctx ended the exchange.
func (n *Network) exchange(ctx context.Context, p peer.ID, proto protocol.ID, timeout time.Duration, req any, read func(io.Reader) error) error {
	s, err := n.host.NewStream(ctx, p, proto)
	if err != nil {
		return fmt.Errorf("open %s stream to %s: %w", proto, p, err)
	}
	_ = s.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	err = rlp.Encode(s, req)
	if err == nil {
		err = s.CloseWrite()
	}
	if err != nil {
		err = fmt.Errorf("send request: %w", err)
	} else {
		err = read(s)
	}
	if err != nil {
		_ = s.Reset()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return err
	}
	_ = s.Close()
	return nil
}
