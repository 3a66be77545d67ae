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
)

// SnapshotSource is what the snapshot protocol serves: the manifest of the
// state snapshot a node offers and its chunks, as encoded (package
// snapshot; docs/adr/0065-state-snapshots.md). What they hold is verified
// by the fetcher against the chain's certificates, not trusted from here.
type SnapshotSource interface {
	// SnapshotManifest is the encoding of the offered snapshot's manifest,
	// nil when the node offers none.
	SnapshotManifest() ([]byte, error)
	// SnapshotChunk is the encoding of chunk i of the snapshot at height,
	// nil when the node does not offer it (any more).
	SnapshotChunk(height uint64, i uint64) ([]byte, error)
}

type snapshotRequest struct {
	Chunk  bool // false: the manifest
	Height uint64
	Index  uint64
}

// Limits of one snapshot exchange.
const (
	maxSnapshotBytes  = 32 << 20 // a manifest (with its block) or a chunk
	snapshotIOTimeout = 30 * time.Second
)

// ErrNoSnapshot means the peer offers no snapshot, or not that chunk.
var ErrNoSnapshot = errors.New("peer offers no such snapshot")

// snapshotProtocol is /sovereign/CHAIN/snapshot/1.
func (n *Network) snapshotProtocol() protocol.ID {
	return protocol.ID(fmt.Sprintf("/sovereign/%s/snapshot/1", n.cfg.ChainID))
}

// serveSnapshot answers one request with one RLP byte string, empty when
// the node has nothing to give.
func (n *Network) serveSnapshot(s network.Stream) {
	_ = s.SetDeadline(time.Now().Add(snapshotIOTimeout))
	err := func() error {
		var req snapshotRequest
		if err := rlp.NewStream(s, maxRequestSize).Decode(&req); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSyncRequest, err)
		}
		var payload []byte
		var err error
		if req.Chunk {
			payload, err = n.cfg.Snapshots.SnapshotChunk(req.Height, req.Index)
		} else {
			payload, err = n.cfg.Snapshots.SnapshotManifest()
		}
		if err != nil {
			n.log.Debug("snapshot request not served", "peer", s.Conn().RemotePeer(), "err", err)
			payload = nil
		}
		w := bufio.NewWriter(s)
		if err := rlp.Encode(w, payload); err != nil {
			return err
		}
		return w.Flush()
	}()
	if err != nil {
		n.log.Debug("snapshot request failed", "peer", s.Conn().RemotePeer(), "err", err)
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// FetchSnapshotManifest asks p for the manifest of the snapshot it offers.
func (n *Network) FetchSnapshotManifest(ctx context.Context, p peer.ID) ([]byte, error) {
	return n.fetchSnapshot(ctx, p, snapshotRequest{})
}

// FetchSnapshotChunk asks p for chunk i of its snapshot at height.
func (n *Network) FetchSnapshotChunk(ctx context.Context, p peer.ID, height, i uint64) ([]byte, error) {
	return n.fetchSnapshot(ctx, p, snapshotRequest{Chunk: true, Height: height, Index: i})
}

func (n *Network) fetchSnapshot(ctx context.Context, p peer.ID, req snapshotRequest) ([]byte, error) {
	var payload []byte
	err := n.exchange(ctx, p, n.snapshotProtocol(), snapshotIOTimeout, &req, func(r io.Reader) error {
		return rlp.NewStream(r, maxSnapshotBytes+16).Decode(&payload)
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot from %s: %w", p, err)
	}
	if len(payload) == 0 {
		return nil, fmt.Errorf("%s: %w", p, ErrNoSnapshot)
	}
	return payload, nil
}
