package p2p

import (
	"bufio"
	"context"
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

func (n *Network) syncProtocol() protocol.ID {
	return protocol.ID(fmt.Sprintf("/sovereign/%s/sync/1", n.cfg.ChainID))
}

// serveSync answers one request: up to Count blocks from From, each with its
// certificate, then the stream closes. The head block's certificate exists
// too: it is stored with the block.
func (n *Network) serveSync(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(syncIOTimeout))
	var req syncRequest
	if err := rlp.NewStream(s, maxRequestSize).Decode(&req); err != nil {
		n.log.Debug("bad sync request", "peer", s.Conn().RemotePeer(), "err", err)
		_ = s.Reset()
		return
	}
	count := min(req.Count, MaxSyncBlocks)
	head := n.cfg.Blocks.HeadHeight()
	w := bufio.NewWriter(s)
	for h := req.From; h < req.From+count && h <= head && h > 0; h++ {
		b, err := n.cfg.Blocks.BlockByHeight(h)
		if err != nil {
			break
		}
		c, err := n.cfg.Blocks.Certificate(h)
		if err != nil {
			break
		}
		if err := rlp.Encode(w, &SyncedBlock{Block: b, Cert: c}); err != nil {
			_ = s.Reset()
			return
		}
	}
	_ = w.Flush()
}

// FetchBlocks asks p for up to count blocks from height from. The caller
// verifies each block and certificate before using it.
func (n *Network) FetchBlocks(ctx context.Context, p peer.ID, from, count uint64) ([]SyncedBlock, error) {
	s, err := n.host.NewStream(ctx, p, n.syncProtocol())
	if err != nil {
		return nil, fmt.Errorf("open sync stream to %s: %w", p, err)
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(syncIOTimeout))
	if err := rlp.Encode(s, &syncRequest{From: from, Count: min(count, MaxSyncBlocks)}); err != nil {
		return nil, fmt.Errorf("send sync request: %w", err)
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	stream := rlp.NewStream(bufio.NewReader(s), maxSyncBytes)
	var out []SyncedBlock
	for uint64(len(out)) < count {
		var sb SyncedBlock
		if err := stream.Decode(&sb); err == io.EOF {
			break
		} else if err != nil {
			return out, fmt.Errorf("sync from %s: %w", p, err)
		}
		if sb.Block == nil || sb.Block.Header == nil || sb.Cert == nil {
			return out, fmt.Errorf("sync from %s: incomplete block", p)
		}
		out = append(out, sb)
	}
	return out, nil
}
