package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/p2p"
	"github.com/sovereign-ledger/sovereign/snapshot"
)

// State snapshots on a running node (docs/adr/0065-state-snapshots.md):
// it takes one every SnapshotInterval blocks into DATADIR/snapshots and
// serves it to peers over the snapshot protocol; a node started with
// SnapshotSync on an empty store joins from peers' snapshots before it
// opens its ledger, then follows by block sync.

// DefaultSnapshotInterval is how many blocks apart a node takes snapshots.
const DefaultSnapshotInterval = 10_000

// snapshotServer keeps the node's latest snapshot file and serves it.
type snapshotServer struct {
	dir      string
	store    *ledger.DB
	interval uint64
	log      *slog.Logger

	mu   sync.RWMutex
	file *snapshot.File
}

func (n *Node) newSnapshotServer() *snapshotServer {
	if n.cfg.SnapshotInterval == 0 {
		return nil
	}
	s := &snapshotServer{dir: filepath.Join(n.cfg.DataDir, "snapshots"), store: n.store, interval: n.cfg.SnapshotInterval, log: n.log}
	s.reopen()
	return s
}

// reopen serves the newest snapshot file a previous run left, so a
// restarted node need not export again at once; files that do not open
// (an interrupted write leaves only a *.tmp) and older ones are removed.
func (s *snapshotServer) reopen() {
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "*.tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	paths, _ := filepath.Glob(filepath.Join(s.dir, "snapshot-*.sovsnap"))
	for _, p := range paths {
		f, err := snapshot.OpenFile(p)
		if err != nil {
			s.log.Warn("snapshot file removed: it does not open", "file", p, "err", err)
			os.Remove(p)
			continue
		}
		older := f
		if s.file == nil || f.Manifest().Height() > s.file.Manifest().Height() {
			older, s.file = s.file, f
		}
		if older != nil {
			older.Close()
			os.Remove(older.Path())
		}
	}
}

// SnapshotManifest implements p2p.SnapshotSource.
func (s *snapshotServer) SnapshotManifest() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil {
		return nil, nil
	}
	return s.file.ManifestBytes(), nil
}

// SnapshotChunk implements p2p.SnapshotSource.
func (s *snapshotServer) SnapshotChunk(height, i uint64) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.file == nil || s.file.Manifest().Height() != height {
		return nil, nil
	}
	return s.file.Chunk(int(i))
}

// due says whether a snapshot of head is to be taken: the served one is
// interval blocks old, or there is none.
func (s *snapshotServer) due(head uint64) bool {
	s.mu.RLock()
	var have uint64
	if s.file != nil {
		have = s.file.Manifest().Height()
	}
	s.mu.RUnlock()
	return head > 0 && (have == 0 || head >= have+s.interval)
}

// take exports the head into a new file, serves it and removes the old.
func (s *snapshotServer) take(ctx context.Context) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, "snapshot-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	start := time.Now()
	m, stats, err := snapshot.Export(ctx, s.store, snapshot.ExportOptions{TmpDir: s.dir}, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, fmt.Sprintf("snapshot-%d.sovsnap", m.Height()))
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	f, err := snapshot.OpenFile(path)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.file
	s.file = f
	s.mu.Unlock()
	if old != nil {
		old.Close()
		if old.Path() != path {
			os.Remove(old.Path())
		}
	}
	s.log.Info("snapshot taken", "height", m.Height(), "entries", stats.Entries, "chunks", stats.Chunks, "bytes", stats.Bytes, "took", time.Since(start))
	return nil
}

func (s *snapshotServer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}

// runSnapshots takes snapshots as blocks become final, until ctx ends.
func (n *Node) runSnapshots(ctx context.Context) {
	defer n.wg.Done()
	for {
		wake := n.final.Next()
		if n.snapshots.due(n.ledger.Head().Height) {
			// In this goroutine: commits go on meanwhile (the export reads a
			// store view), and Close stops it through ctx.
			if err := n.snapshots.take(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("snapshot not taken", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

// snapshotSource is what the network serves snapshots from (nil: none;
// a nil *snapshotServer in the interface would be non-nil).
func (n *Node) snapshotSource() p2p.SnapshotSource {
	if n.snapshots == nil {
		return nil
	}
	return n.snapshots
}

// joinIfEmpty joins from peers' snapshots when configured to and the store
// holds no chain yet; a store holding one just opens.
func (c *Config) joinIfEmpty(kv ledger.Store) error {
	if c.SnapshotSync == nil {
		return nil
	}
	if _, ok, err := ledger.NewDB(kv).GenesisHash(); err != nil || ok {
		return err
	}
	if err := c.loadNodeKey(); err != nil {
		return err
	}
	return joinFromSnapshot(c, kv)
}

// ErrNoSnapshotPeer means no peer offered a snapshot that verified.
var ErrNoSnapshotPeer = errors.New("no peer offers a snapshot that verifies")

// snapshotJoinTimeout bounds how long a joining node looks for peers and
// snapshots before it gives up (and the operator starts it again).
const snapshotJoinTimeout = 2 * time.Minute

// joinFromSnapshot fills an empty store from the peers' snapshots: a
// network of its own (no gossip) asks every peer for its manifest, takes
// the highest one that verifies against the trust, and fetches its chunks
// in order, each from the next peer that serves one that verifies. The
// network closes before the node starts its own.
func joinFromSnapshot(cfg *Config, kv ledger.Store) error {
	ctx, cancel := context.WithTimeout(context.Background(), snapshotJoinTimeout)
	defer cancel()
	boot, err := p2p.ParseBootnodes(cfg.Bootnodes)
	if err != nil {
		return err
	}
	vals, err := joinValidators(cfg)
	if err != nil {
		return err
	}
	net, err := p2p.New(p2p.Config{ChainID: cfg.Genesis.ChainID, Key: cfg.NodeKey, Bootnodes: boot,
		Validators: vals, Listen: listenAddrs(cfg), Log: cfg.Logger})
	if err != nil {
		return err
	}
	defer net.Close()
	for {
		err := fetchSnapshot(ctx, cfg, kv, net)
		if err == nil || !errors.Is(err, ErrNoSnapshotPeer) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("join from a snapshot: %w", err)
		case <-time.After(time.Second):
		}
	}
}

// snapshotPeers is what joining needs of the network.
type snapshotPeers interface {
	Peers() []peer.ID
	FetchSnapshotManifest(ctx context.Context, p peer.ID) ([]byte, error)
	FetchSnapshotChunk(ctx context.Context, p peer.ID, height, i uint64) ([]byte, error)
}

// fetchSnapshot is one attempt over the peers connected now.
func fetchSnapshot(ctx context.Context, cfg *Config, kv ledger.Store, net snapshotPeers) error {
	trust := *cfg.SnapshotSync
	trust.Genesis = cfg.Genesis
	type offer struct {
		m    *snapshot.Manifest
		from []peer.ID
	}
	offers := map[common.Hash]*offer{}
	for _, p := range net.Peers() {
		raw, err := net.FetchSnapshotManifest(ctx, p)
		if err != nil {
			cfg.Logger.Debug("no snapshot manifest", "peer", p, "err", err)
			continue
		}
		m, err := snapshot.DecodeManifest(raw)
		if err == nil {
			err = trust.VerifyManifest(m)
		}
		if err != nil {
			cfg.Logger.Warn("snapshot manifest refused", "peer", p, "err", err)
			continue
		}
		key := snapshot.ChunkHash(raw)
		if offers[key] == nil {
			offers[key] = &offer{m: m}
		}
		offers[key].from = append(offers[key].from, p)
	}
	var best []*offer
	for _, o := range offers {
		best = append(best, o)
	}
	if len(best) == 0 {
		return ErrNoSnapshotPeer
	}
	// The highest snapshot, then the one most peers offer.
	sort.Slice(best, func(i, j int) bool {
		if best[i].m.Height() != best[j].m.Height() {
			return best[i].m.Height() > best[j].m.Height()
		}
		return len(best[i].from) > len(best[j].from)
	})
	o := best[0]
	im, err := snapshot.NewImporter(kv, trust, o.m)
	if err != nil {
		return err
	}
	cfg.Logger.Info("joining from a snapshot", "height", o.m.Height(), "block", o.m.Block.Hash(), "chunks", len(o.m.Chunks), "peers", len(o.from))
	next := 0 // the peer to ask first, moving on after each chunk
	for !im.Done() {
		i := im.Next()
		var errs []error
		for k := 0; k < len(o.from); k++ {
			p := o.from[(next+k)%len(o.from)]
			raw, err := net.FetchSnapshotChunk(ctx, p, o.m.Height(), uint64(i))
			if err == nil {
				err = im.AddChunk(raw)
				if err != nil {
					cfg.Logger.Warn("snapshot chunk refused", "peer", p, "chunk", i, "err", err)
				}
			}
			if err == nil {
				break
			}
			errs = append(errs, err)
		}
		if len(errs) == len(o.from) {
			return fmt.Errorf("chunk %d: no peer served one that verifies: %w", i, errors.Join(errs...))
		}
		next++
	}
	if err := im.Finish(); err != nil {
		return err
	}
	cfg.Logger.Info("joined from a snapshot", "height", o.m.Height(), "state root", o.m.StateRoot())
	return nil
}

func listenAddrs(cfg *Config) []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, s := range cfg.P2PListen {
		if m, err := ma.NewMultiaddr(s); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// joinValidators are the peers the joining node's gater admits: the
// validators snapshot.ValidatorsAt gives for the start of the chain.
func joinValidators(cfg *Config) ([]common.Address, error) {
	vs, err := snapshot.ValidatorsAt(cfg.Genesis, 0)
	if err != nil {
		return nil, err
	}
	var out []common.Address
	for _, v := range vs.Validators {
		out = append(out, v.Address)
	}
	return out, nil
}
