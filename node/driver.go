package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// driver feeds the pure consensus core and carries out its Ready batches in
// the order the core's contract requires: persist the safety record (synced),
// commit final blocks, send messages, then Advance. It is the only goroutine
// that touches the core.
type driver struct {
	n        *Node
	m        *consensus.Machine
	fin      *Finalizer
	proposer *proposer // nil for observers
	rotator  *rotator  // nil for observers
	wasIdle  bool

	heightStart time.Time // when this node entered the current height
	heightTicks uint64
	propose     *consensus.ProposeRequest
	lastFin     time.Time // when the last block became final here
	evidence    evidenceSubmitter
	signer      *signerState
	watchLeft   int // the signer watch's heights left, as last logged

	statusMu sync.RWMutex
	status   consensus.Status

	admitted []common.Address // validators the gater admits (governance.go)
}

func newDriver(n *Node) (*driver, error) {
	d := &driver{n: n, lastFin: n.cfg.Clock.Now(), signer: newSignerState(n.cfg.DataDir),
		fin: &Finalizer{Ledger: n.ledger, Pool: n.pool, Final: n.final}}
	var signer consensus.Signer
	var own *ownTxs
	if n.self != nil {
		self := *n.self
		signer = keySigner{key: n.cfg.Key, addr: self}
		chains, err := loadHashChains(filepath.Join(n.cfg.DataDir, "hashchains"), n.cfg.HashChainSecret, n.cfg.HashChainLength)
		if err != nil {
			return nil, err
		}
		if v, ok := knownValidator(n.ledger, self); ok && chains.byTip[v.RevealTip] == nil {
			return nil, fmt.Errorf("hash-chain secret does not match validator %s's reveal tip in the validator set", self)
		}
		own = &ownTxs{ledger: n.ledger, chainID: n.cfg.Genesis.ChainID, key: n.cfg.Key, self: self,
			submit: func(tx *chain.Tx) error { return admit(n.ledger, n.pool, n.txs, n.gossipTx, []*chain.Tx{tx})[0] }}
		d.proposer = &proposer{ledger: n.ledger, pool: n.pool, chains: chains, self: self, params: n.cfg.Genesis.Params, log: n.log, clock: n.cfg.Clock}
		d.rotator = &rotator{ledger: n.ledger, pool: n.pool, chains: chains, own: own, self: self, length: n.cfg.HashChainLength,
			revealsLeft: n.metrics.revealsLeft, log: n.log}
	}
	d.evidence = evidenceSubmitter{own: own, log: n.log, submitted: map[string]bool{}}
	start, err := d.startState()
	if err != nil {
		return nil, err
	}
	m, err := consensus.New(consensus.Config{
		ChainID:      n.cfg.Genesis.ChainID,
		ValidatorsAt: n.ledger.ValidatorsAt,
		Signer:       signer,
		App:          refusalsNoted{blockValidator{ledger: n.ledger, drift: n.cfg.Genesis.Params.MaxClockDrift.Std(), clock: n.cfg.Clock}, n.metrics.ops},
		Recover:      n.sigs.Recover,

		DoubleSignCheckHeights: n.cfg.DoubleSignCheckHeights,
	}, start)
	if err != nil {
		return nil, fmt.Errorf("start consensus: %w", err)
	}
	d.m = m
	d.snapshot()
	return d, nil
}

// startState resumes consensus from what the store holds (the next height,
// its seed, the head's certificate) and from the signer state.
func (d *driver) startState() (consensus.StartState, error) {
	head := d.n.ledger.Head()
	st := consensus.StartState{Height: head.Height + 1, Seed: d.n.ledger.State().Seed()}
	if head.Height > 0 {
		cert, err := d.n.store.Certificate(head.Height)
		if err != nil {
			return st, fmt.Errorf("read head certificate: %w", err)
		}
		st.LastCommit = cert
	}
	if d.n.self == nil {
		return st, nil // an observer signs nothing
	}
	signer, why, err := d.signer.resume(head.Height, d.n.store.SafetyRecord)
	if err != nil {
		return st, err
	}
	st.Safety, st.Valid, st.SignerStateLost = signer.Safety, signer.Valid, signer.SignerStateLost
	if st.SignerStateLost {
		d.n.log.Warn("lost signer state: this validator signs nothing until it has watched the chain without finding its own signature",
			"reason", why, "heights", d.n.cfg.DoubleSignCheckHeights)
	}
	return st, nil
}

func (d *driver) run(ctx context.Context) error {
	ticker := d.n.cfg.Clock.NewTicker(d.n.cfg.Tick)
	defer ticker.Stop()
	var inbound <-chan p2p.Inbound
	if d.n.net != nil {
		inbound = d.n.net.Messages()
	}
	for {
		var poolReady <-chan struct{}
		if d.propose != nil {
			poolReady = d.n.pool.Wait()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.Chan():
			if !d.idle() {
				d.m.Tick()
			}
		case <-poolReady:
		case in := <-inbound:
			d.receive(in)
		case batch := <-d.n.synced:
			if err := d.catchup(batch); err != nil {
				return err
			}
		}
		if err := d.maybePropose(); err != nil {
			return err
		}
		if err := d.drain(); err != nil {
			return err
		}
	}
}

// idle reports whether the chain is waiting for work at the start of a
// height: round 0, no proposal yet, no executable transactions here, and
// the empty-block interval not yet over. While idle the core's clock is
// held, so the propose timeout counts only from the moment a block is due;
// a silent holder then costs one short propose timeout, not the idle wait
// plus the timeout.
func (d *driver) idle() bool {
	st := d.m.Status()
	if st.Round != 0 || st.Step != consensus.StepPropose || d.n.pool.Executable() > 0 {
		return false
	}
	idle := d.n.cfg.Clock.Now().Sub(d.lastFin) < d.n.cfg.Genesis.Params.EmptyBlockInterval.Std()
	if idle && !d.wasIdle {
		d.n.log.Debug("idle: holding the consensus clock until transactions or the empty-block interval", "height", st.Height, "pool", d.n.pool.Len())
	}
	d.wasIdle = idle
	return idle
}

// receive feeds a validated peer message to the pool or the core.
func (d *driver) receive(in p2p.Inbound) {
	switch v := in.Value.(type) {
	case []*chain.Tx:
		select {
		case d.n.gossiped <- v:
		default: // admission is behind: admit here rather than drop the batch
			d.n.admitGossiped(v)
		}
	case consensus.Message:
		d.n.metrics.ops.sawHeight(v.Height())
		err := d.m.Step(v)
		switch {
		case err == nil, errors.Is(err, consensus.ErrStale), errors.Is(err, consensus.ErrBufferFull):
		case errors.Is(err, consensus.ErrFuture):
			d.wantSync()
		default:
			d.n.log.Debug("consensus message refused", "peer", in.From, "err", err)
		}
	}
}

// catchup feeds synced final blocks, in order, to the core, committing each
// before the next. A block the core refuses (forged, or a short or forged
// certificate) benches the peer that served it.
func (d *driver) catchup(batch syncedBatch) error {
	blocks := batch.blocks
	for _, sb := range blocks {
		if sb.Block.Height() != d.n.ledger.Head().Height+1 {
			continue
		}
		d.n.txs.all(sb.Block.Txs)
		if err := d.m.Catchup(consensus.Commit{Block: sb.Block, Cert: sb.Cert}); err != nil {
			d.n.log.Warn("synced block refused; asking other peers first", "peer", batch.from, "height", sb.Block.Height(), "err", err)
			d.n.net.RefuseSynced(batch.from)
			d.wantSync()
			return nil
		}
		if err := d.drain(); err != nil {
			return err
		}
	}
	if len(blocks) == p2p.MaxSyncBlocks {
		d.wantSync()
	}
	return nil
}

// wantSync asks the sync loop to fetch blocks now.
func (d *driver) wantSync() {
	select {
	case d.n.syncWanted <- struct{}{}:
	default:
	}
}

// drain carries out Ready batches until the core has nothing more.
func (d *driver) drain() error {
	for d.m.HasReady() {
		rd := d.m.Ready()
		if rd.Safety != nil || rd.Valid != nil {
			start := d.n.cfg.Clock.Now()
			if err := d.signer.save(rd.Safety, rd.Valid); err != nil {
				return fmt.Errorf("persist signer state: %w", err)
			}
			d.signerWritten(d.n.cfg.Clock.Since(start))
		}
		for _, c := range rd.Committed {
			if err := d.commit(c); err != nil {
				return err
			}
		}
		d.send(rd.Messages)
		for _, ev := range rd.Evidence {
			if err := d.evidence.submit(ev); err != nil {
				return fmt.Errorf("submit evidence: %w", err)
			}
		}
		if rd.Propose != nil {
			d.propose = rd.Propose
		}
		d.m.Advance(rd)
		if err := d.maybePropose(); err != nil {
			return err
		}
	}
	d.snapshot()
	return nil
}

// send publishes the core's messages; a lone validator has no one to tell.
func (d *driver) send(msgs []consensus.Message) {
	if d.n.net == nil {
		return
	}
	for _, m := range msgs {
		topic := p2p.TopicVotes
		if m.Proposal != nil {
			topic = p2p.TopicProposals
		}
		if err := d.n.net.Publish(context.Background(), topic, m.Encode()); err != nil {
			d.n.log.Warn("publish consensus message", "err", err)
		}
	}
}

func (d *driver) commit(c consensus.Commit) error {
	start := d.n.cfg.Clock.Now()
	receipts, err := d.fin.Commit(c.Block, c.Cert)
	if err != nil {
		return err
	}
	d.n.setNext()
	rejected := 0
	for _, r := range receipts {
		if !r.OK() {
			rejected++
		}
	}
	d.n.metrics.committed(len(c.Block.Txs), rejected, d.n.cfg.Clock.Since(start), c.Block.Height())
	d.n.metrics.ops.finalBlock(c.Block, receipts)
	if d.rotator != nil {
		if err := d.rotator.rotate(); err != nil {
			return err
		}
	}
	d.refreshGater()
	d.autoVote(receipts)
	d.lastFin = d.n.cfg.Clock.Now()
	if d.propose != nil && d.propose.Height <= c.Block.Height() {
		d.propose = nil
	}
	d.n.log.Debug("block final", "height", c.Block.Height(), "txs", len(c.Block.Txs), "hash", c.Block.Hash())
	return nil
}

// maybePropose answers an outstanding ProposeRequest once transactions wait
// or the empty-block interval has passed since the last final block.
func (d *driver) maybePropose() error {
	req := d.propose
	if req == nil {
		return nil
	}
	now := d.n.cfg.Clock.Now()
	// Round 0 may wait for transactions (the others hold their clocks
	// while they have none either); a later round means some validator's
	// timeout already ran out, so the block is due now.
	due := req.Round > 0 || now.Sub(d.lastFin) >= d.n.cfg.Genesis.Params.EmptyBlockInterval.Std()
	if d.n.pool.Executable() == 0 && !due {
		return nil
	}
	d.propose = nil
	b, err := d.proposer.build(req, now)
	if errors.Is(err, errRevealsSpent) {
		// This validator can no longer produce blocks; the others can, and
		// the round moves on to the next holder after the propose timeout.
		d.n.log.Error("cannot propose: hash chain spent; the validator needs a new hash chain", "height", req.Height, "round", req.Round)
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.m.Propose(b); err != nil {
		if errors.Is(err, consensus.ErrNotHolder) {
			// The round moved on while we waited for transactions; the core
			// asks again when this node holds the key.
			d.n.log.Debug("proposal no longer wanted", "height", b.Height(), "round", req.Round, "err", err)
			return nil
		}
		return fmt.Errorf("propose block %d: %w", b.Height(), err)
	}
	return nil
}

func (d *driver) snapshot() {
	s := d.m.Status()
	prev := d.Status()
	if s.Height != prev.Height {
		d.heightStart, d.heightTicks = d.n.cfg.Clock.Now(), s.Ticks
	}
	if s.Round != prev.Round && s.Height == prev.Height {
		d.n.log.Info("round change: the key holder was silent or its block refused", "height", s.Height, "round", s.Round, "holder", s.Holder,
			"ticks", s.Ticks-d.heightTicks, "after", d.n.cfg.Clock.Since(d.heightStart))
	}
	d.n.metrics.round.Set(float64(s.Round))
	d.n.metrics.ops.roundStatus(s)
	if s.SignerWatch != d.watchLeft {
		d.logWatch(s)
	}
	d.statusMu.Lock()
	d.status = s
	d.statusMu.Unlock()
}

// logWatch reports the lost-signer-state watch as it counts down or starts
// again (consensus/watch.go).
func (d *driver) logWatch(s consensus.Status) {
	switch {
	case s.SignerWatch == 0:
		d.n.log.Warn("signer watch over: no signature of this validator found in the watched heights; signing again", "height", s.Height)
	case s.SignerWatch > d.watchLeft && d.watchLeft > 0, s.OwnSignatureSeen > 0:
		d.n.log.Warn("signer watch: not signing", "height", s.Height, "heights_left", s.SignerWatch, "own_signature_seen_at", s.OwnSignatureSeen)
	default:
		d.n.log.Info("signer watch: not signing", "height", s.Height, "heights_left", s.SignerWatch)
	}
	d.watchLeft = s.SignerWatch
}

func (d *driver) Status() consensus.Status {
	d.statusMu.RLock()
	defer d.statusMu.RUnlock()
	return d.status
}

// errRevealsSpent: every reveal of this validator's hash chain is used.
var errRevealsSpent = errors.New("hash chain spent")

// keySigner signs consensus messages with the validator key.
type keySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

func (s keySigner) Sign(hash common.Hash) ([]byte, error) { return crypto.Sign(hash[:], s.key) }

func (s keySigner) Address() common.Address { return s.addr }

// blockValidator lets the core ask whether a proposed block is valid: the
// ledger runs it on the head state (ValidateBlock, deterministic, which the
// core caches), and the node checks its timestamp against its own clock
// (CheckTimely, proposer-based timestamps), which the core asks only of a
// fresh proposal and never caches.
type blockValidator struct {
	ledger *ledger.Ledger
	drift  time.Duration // Params.MaxClockDrift
	clock  Clock
}

func (v blockValidator) ValidateBlock(b *chain.Block) error {
	_, err := v.ledger.Execute(b)
	return err
}

// CheckTimely refuses a block stamped more than MaxClockDrift ahead of this
// node's clock, or further behind it than the drift plus the time a
// proposal may take to arrive in its round. "After the parent" is the
// ledger's deterministic rule.
func (v blockValidator) CheckTimely(b *chain.Block) error {
	drift, now := v.drift, v.clock.Now()
	t := time.UnixMilli(int64(b.Header.Time))
	if t.After(now.Add(drift)) {
		return fmt.Errorf("block time %d is more than %s ahead of this node's clock", b.Header.Time, drift)
	}
	if late := drift + v.messageDelay(b.Header.Round); t.Before(now.Add(-late)) {
		return fmt.Errorf("block time %d is more than %s behind this node's clock", b.Header.Time, late)
	}
	return nil
}

// messageDelay is how long a fresh proposal of round r may take to reach
// this node: one second, one more each round, so that a slow network
// cannot keep every proposal untimely.
func (v blockValidator) messageDelay(r uint32) time.Duration {
	return time.Duration(1+int64(r)) * time.Second
}

// slowSignerWrite is how long the signer state's synced write may take
// before the operator is told: it stands between this validator and every
// vote it sends, and the propose timeout is 500 ms, so a key holder whose
// disk stalls this long can cost the chain a round.
const slowSignerWrite = 200 * time.Millisecond

func (d *driver) signerWritten(took time.Duration) {
	d.n.metrics.signerSeconds.Observe(took.Seconds())
	if took >= slowSignerWrite {
		d.n.log.Warn("slow signer state write held this validator's votes", "took", took, "height", d.Status().Height)
	}
}
