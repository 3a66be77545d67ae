package p2p

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// syncRotation spreads block sync over the peers: each Sync starts with the
// peer after the one the previous Sync started with (in peer id order), so
// a node that is behind asks every peer in turn rather than always the
// first one libp2p lists, and no single peer serves (or stalls, or feeds)
// every catch-up.
type syncRotation struct {
	mu      sync.Mutex
	last    peer.ID               // where the previous round started
	benched map[peer.ID]time.Time // peers that served blocks that failed verification, until when
}

// SyncBench is how long a peer whose blocks failed verification is asked
// only when no other peer is left.
const SyncBench = 2 * time.Minute

// order returns peers sorted by id, rotated to start after the previous
// round's first, and records the new first. Benched peers go last.
func (r *syncRotation) order(peers []peer.ID, now time.Time) []peer.ID {
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
	return r.benchedLast(out, now)
}

// benchedLast moves the peers benched at now to the end, keeping the order
// of the rest, and forgets benches that are over.
func (r *syncRotation) benchedLast(peers []peer.ID, now time.Time) []peer.ID {
	var good, bad []peer.ID
	for _, p := range peers {
		until, ok := r.benched[p]
		switch {
		case ok && now.Before(until):
			bad = append(bad, p)
		case ok:
			delete(r.benched, p)
			fallthrough
		default:
			good = append(good, p)
		}
	}
	return append(good, bad...)
}

// bench puts p last in the order until now+SyncBench.
func (r *syncRotation) bench(p peer.ID, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.benched == nil {
		r.benched = map[peer.ID]time.Time{}
	}
	r.benched[p] = now.Add(SyncBench)
}

// RefuseSynced reports that blocks p served failed verification: Sync asks
// every other peer first for the next SyncBench, so a peer that feeds
// forged blocks or certificates cannot hold a catching-up node back.
func (n *Network) RefuseSynced(p peer.ID) { n.rotation.bench(p, time.Now()) }

// Sync fetches up to count final blocks from height from, asking the
// connected peers in rotation (syncRotation) until one has any. It returns
// the blocks and the peer that served them; no blocks and no error when no
// peer has more. The caller verifies each block and certificate.
func (n *Network) Sync(ctx context.Context, from, count uint64) ([]SyncedBlock, peer.ID, error) {
	var errs []error
	for _, p := range n.rotation.order(n.Peers(), time.Now()) {
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
