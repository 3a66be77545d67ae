package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// Transaction gossip batches what arrives within a few milliseconds: at
// thousands of transactions a second, per-message overhead dominates.
const (
	txBatchInterval = 5 * time.Millisecond
	txBatchMax      = 512
	maxTxsPerBatch  = 4096
)

// sigCache remembers recovered consensus signatures, so a vote checked by
// the gossip validator is not recovered again by the consensus core.
type sigCache struct {
	c *lru.Cache[string, common.Address]
}

func newSigCache() *sigCache {
	c, _ := lru.New[string, common.Address](16384)
	return &sigCache{c}
}

func (s *sigCache) Recover(hash common.Hash, sig []byte) (common.Address, error) {
	key := string(hash[:]) + string(sig)
	if a, ok := s.c.Get(key); ok {
		return a, nil
	}
	a, err := chain.RecoverSigner(hash, sig)
	if err == nil {
		s.c.Add(key, a)
	}
	return a, err
}

// startNetwork builds the libp2p network with the chain's topics and their
// validators.
func (n *Node) startNetwork() error {
	if len(n.cfg.P2PListen) == 0 {
		return nil
	}
	listen := make([]ma.Multiaddr, 0, len(n.cfg.P2PListen))
	for _, s := range n.cfg.P2PListen {
		m, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("--p2p.listen %q: %w", s, err)
		}
		listen = append(listen, m)
	}
	boot, err := p2p.ParseBootnodes(n.cfg.Bootnodes)
	if err != nil {
		return err
	}
	var observers []peer.ID
	for _, s := range n.cfg.Observers {
		if s == "" {
			continue
		}
		id, err := peer.Decode(s)
		if err != nil {
			return fmt.Errorf("--p2p.observers %q: %w", s, err)
		}
		observers = append(observers, id)
	}
	vals := admittedValidators(n.ledger)
	net, err := p2p.New(p2p.Config{
		ChainID:    n.cfg.Genesis.ChainID,
		Key:        n.cfg.NodeKey,
		Listen:     listen,
		Bootnodes:  boot,
		Validators: vals,
		Observers:  observers,
		MeshDegree: n.cfg.P2PMeshDegree,
		Blocks:     blockSource{n},
		Snapshots:  n.snapshotSource(),
		Log:        n.log,
		Topics: map[p2p.Topic]p2p.Validator{
			p2p.TopicTxs:       n.validateTxBatch,
			p2p.TopicProposals: n.validateConsensus(true),
			p2p.TopicVotes:     n.validateConsensus(false),
		},
	})
	if err != nil {
		return err
	}
	n.net = net
	for _, a := range net.Addrs() {
		n.log.Info("p2p listening", "addr", a)
	}
	return nil
}

// validateTxBatch decodes a gossiped batch and recovers every signer (in
// the validator's goroutine, so across cores); the *Tx values carry the
// result into the pool, which then does not recover them again.
func (n *Node) validateTxBatch(data []byte) (any, error) {
	var raws [][]byte
	if err := rlp.DecodeBytes(data, &raws); err != nil {
		return nil, fmt.Errorf("tx batch: %w", err)
	}
	if len(raws) == 0 || len(raws) > maxTxsPerBatch {
		return nil, fmt.Errorf("tx batch of %d", len(raws))
	}
	txs := make([]*chain.Tx, len(raws))
	for i, raw := range raws {
		tx, err := chain.DecodeTx(raw)
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
		if err := chain.CheckEnvelope(tx, n.cfg.Genesis.ChainID); err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
		tx = n.txs.one(tx) // met before: already recovered
		if _, err := tx.Signers(); err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
		txs[i] = tx
	}
	return txs, nil
}

// validateConsensus checks that a proposal or vote is well formed and signed
// by a validator of this chain before it is relayed.
func (n *Node) validateConsensus(proposal bool) p2p.Validator {
	return func(data []byte) (any, error) {
		msg, err := consensus.DecodeMessageKnown(data, n.txs.known)
		if err != nil {
			return nil, err
		}
		chainID := n.cfg.Genesis.ChainID
		var signer common.Address
		switch {
		case proposal && msg.Proposal != nil && msg.Proposal.Block != nil && msg.Proposal.Block.Header != nil:
			signer, err = n.sigs.Recover(msg.Proposal.SignHash(chainID), msg.Proposal.Sig)
			if err == nil {
				err = n.checkHolder(msg.Proposal, signer)
			}
			if err == nil {
				n.txs.all(msg.Proposal.Block.Txs) // met in the pool or in gossip: already recovered
			}
		case !proposal && msg.Vote != nil:
			signer, err = n.sigs.Recover(msg.Vote.SignHash(chainID), msg.Vote.Sig)
			if err == nil && signer != msg.Vote.Validator {
				err = fmt.Errorf("vote signed by %s claims %s", signer, msg.Vote.Validator)
			}
		default:
			return nil, fmt.Errorf("wrong message kind for topic")
		}
		if err != nil {
			return nil, err
		}
		if _, ok := n.ledger.ValidatorsAt(msg.Height()).Get(signer); !ok {
			return nil, fmt.Errorf("signed by %s, not a validator of %s at height %d", signer, chainID, msg.Height())
		}
		return msg, nil
	}
}

// nextHeight is the height being decided here and its seed, which names
// the key holder of each of its rounds.
type nextHeight struct {
	height uint64
	seed   common.Hash
}

// setNext records the height after head as the one being decided.
func (n *Node) setNext() {
	n.next.Store(&nextHeight{height: n.ledger.Head().Height + 1, seed: n.ledger.State().Seed()})
}

// checkHolder lets through only the key holder's proposals for the height
// being decided, so a validator cannot flood the network with proposals
// for rounds it does not hold. A proposal for the height after it is let
// through unchecked (its seed depends on the block not yet final here; the
// core buffers it and checks it there); any other height is ignored.
func (n *Node) checkHolder(p *consensus.Proposal, signer common.Address) error {
	next := n.next.Load()
	switch {
	case p.Height < next.height:
		return fmt.Errorf("%w: proposal for height %d, already decided", p2p.ErrIgnore, p.Height)
	case p.Height == next.height+1:
		return nil
	case p.Height > next.height:
		return fmt.Errorf("%w: proposal for height %d, deciding %d", p2p.ErrIgnore, p.Height, next.height)
	}
	if !consensus.IsRightfulProposer(n.ledger.ValidatorsAt(next.height), next.seed, p.Round, signer) {
		return fmt.Errorf("%w: proposal h=%d r=%d signed by %s, not the key holder", consensus.ErrNotHolder, p.Height, p.Round, signer)
	}
	return nil
}

// admitGossipLoop admits peers' transaction batches to the pool off the
// driver goroutine, so a burst of gossip does not hold up consensus: the
// pool reads state for every transaction, which at thousands a second took
// the driver tens of milliseconds a block.
func (n *Node) admitGossipLoop(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case txs := <-n.gossiped:
			n.admitGossiped(txs)
		}
	}
}

// admitGossiped admits one batch; rejections (already known, a stale
// nonce) are routine for gossip and only counted.
func (n *Node) admitGossiped(txs []*chain.Tx) {
	n.metrics.ops.poolRejections("gossip", n.pool.Add(txs))
}

// broadcastTxs gossips transactions admitted through this node's RPC, in
// batches.
func (n *Node) broadcastTxs(ctx context.Context) {
	defer n.wg.Done()
	var batch [][]byte
	tick := n.cfg.Clock.NewTicker(txBatchInterval)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		data, err := rlp.EncodeToBytes(batch)
		batch = batch[:0]
		if err == nil {
			if err := n.net.Publish(ctx, p2p.TopicTxs, data); err != nil && ctx.Err() == nil {
				n.log.Warn("gossip transactions", "err", err)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case tx := <-n.outTxs:
			batch = append(batch, tx.Bytes())
			if len(batch) >= txBatchMax {
				flush()
			}
		case <-tick.Chan():
			flush()
		}
	}
}

// syncLoop fetches final blocks from peers when this node is behind (or
// told so by a message from the future), and hands them to the driver.
func (n *Node) syncLoop(ctx context.Context) {
	defer n.wg.Done()
	t := n.cfg.Clock.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		case <-n.syncWanted:
		}
		// The peers are asked in rotation, so catching up is spread over
		// all of them (p2p.Network.Sync).
		blocks, p, err := n.net.Sync(ctx, n.ledger.Head().Height+1, p2p.MaxSyncBlocks)
		if err != nil {
			n.log.Debug("sync", "err", err)
			continue
		}
		if len(blocks) == 0 {
			continue
		}
		n.log.Debug("synced blocks", "peer", p, "from", blocks[0].Block.Height(), "count", len(blocks))
		select {
		case n.synced <- syncedBatch{blocks: blocks, from: p}:
		case <-ctx.Done():
			return
		}
	}
}

// syncedBatch is blocks fetched from one peer.
type syncedBatch struct {
	blocks []p2p.SyncedBlock
	from   peer.ID
}

// blockSource serves this node's final blocks to syncing peers.
type blockSource struct{ n *Node }

func (b blockSource) HeadHeight() uint64 { return b.n.ledger.Head().Height }
func (b blockSource) BlockByHeight(h uint64) (*chain.Block, error) {
	return b.n.store.BlockByHeight(h)
}
func (b blockSource) Certificate(h uint64) (*chain.Certificate, error) {
	return b.n.store.Certificate(h)
}

func (n *Node) peerCount() int {
	if n.net == nil {
		return 0
	}
	return len(n.net.Peers())
}
