package p2p

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// syncRotation spreads block sync over the peers: each Sync starts with the
// peer after the one the previous Sync started with (in peer id order), so
// a node that is behind asks every peer in turn rather than always the
// first one libp2p lists, and no single peer serves (or stalls, or feeds)
// every catch-up.
type syncRotation struct {
	mu   sync.Mutex
	last peer.ID // where the previous round started
}

// order returns peers sorted by id, rotated to start after the previous
// round's first, and records the new first.
func (r *syncRotation) order(peers []peer.ID) []peer.ID {
	peers = slices.Clone(peers)
	slices.Sort(peers)
	r.mu.Lock()
	defer r.mu.Unlock()
	start, _ := slices.BinarySearch(peers, r.last)
	if start < len(peers) && peers[start] == r.last {
		start++
	}
	start %= max(len(peers), 1)
	out := slices.Concat(peers[start:], peers[:start])
	if len(out) > 0 {
		r.last = out[0]
	}
	return out
}

// Sync fetches up to count final blocks from height from, asking the
// connected peers in rotation (syncRotation) until one has any. It returns
// the blocks and the peer that served them; no blocks and no error when no
// peer has more. The caller verifies each block and certificate.
func (n *Network) Sync(ctx context.Context, from, count uint64) ([]SyncedBlock, peer.ID, error) {
	var errs []error
	for _, p := range n.rotation.order(n.Peers()) {
		blocks, err := n.FetchBlocks(ctx, p, from, count)
		if err != nil {
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		if len(blocks) > 0 {
			return blocks, p, nil
		}
	}
	if len(errs) > 0 {
		return nil, "", fmt.Errorf("no peer served blocks from %d: %d failed, first: %w", from, len(errs), errs[0])
	}
	return nil, "", nil
}
