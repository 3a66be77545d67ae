package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/p2p"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Node is one running Sovereign node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	kv     ledger.Store // the database; closed last
	store  *ledger.DB
	ledger *ledger.Ledger
	pool   *txpool.Pool
	txs    *txIntern // one *chain.Tx per transaction, so each is recovered once
	driver *driver
	self   *common.Address

	metrics    *metrics
	net        *p2p.Network    // nil when the node runs alone
	snapshots  *snapshotServer // nil when the node serves no snapshots
	sigs       *sigCache
	next       atomic.Pointer[nextHeight] // the height being decided (network.go)
	outTxs     chan *chain.Tx             // admitted through RPC, to gossip
	gossiped   chan []*chain.Tx           // peers' transaction batches, to admit (admitGossipLoop)
	syncWanted chan struct{}              // a hint that this node is behind
	synced     chan syncedBatch           // fetched blocks for the driver

	rpcSrv  *rpc.Server
	httpSrv *http.Server
	rpcLn   net.Listener
	metLn   net.Listener // MetricsAddr's listener, nil when /metrics is served beside RPC

	final       *FinalSignal
	backend     *Backend     // the RPC adapter, also used by the node's own submitters and webhooks
	explorerSrv *http.Server // nil unless the explorer has an address of its own

	cancel context.CancelFunc
	wg     sync.WaitGroup
	fatal  chan error
}

// gcPercent trades memory (plentiful on a bank's server) for fewer
// collections: at thousands of transactions a second the node allocates
// quickly, and the default (100) spent a tenth of its CPU collecting.
const gcPercent = 400

// New opens the node's store and builds its parts; Start runs it.
func New(cfg Config) (*Node, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	kv, err := cfg.openStore()
	if err != nil {
		return nil, err
	}
	if err := cfg.joinIfEmpty(kv); err != nil {
		kv.Close()
		return nil, err
	}
	sigs := newSigCache() // shared by gossip checks, the consensus core and the ledger
	ledger, err := ledger.OpenLedger(kv, cfg.Genesis, ledger.WithRecoverer(sigs.Recover))
	if err == nil {
		err = checkStore(ledger, cfg)
	}
	if err != nil {
		kv.Close()
		return nil, err
	}

	n := &Node{cfg: cfg, log: cfg.Logger, kv: kv, store: ledger.DB(), ledger: ledger, final: NewFinalSignal(), fatal: make(chan error, 1),
		sigs: sigs, outTxs: make(chan *chain.Tx, 8192), gossiped: make(chan []*chain.Tx, 64), syncWanted: make(chan struct{}, 1), synced: make(chan syncedBatch, 4)}
	if err := n.loadNodeKey(); err != nil {
		kv.Close()
		return nil, err
	}
	n.setNext()
	poolCfg := cfg.Pool
	if poolCfg.Log == nil {
		poolCfg.Log = n.log // refusals, as rate-limited summaries
	}
	n.pool = txpool.New(poolCfg, cfg.Genesis.ChainID, newLedgerView(ledger))
	n.txs = newTxIntern(n.pool)
	n.backend = NewBackend(BackendParts{Ledger: ledger, Pool: n.pool, Final: n.final, Status: n.consensusStatus, Gossip: n.gossipTx, Intern: n.txs})
	n.metrics = newMetrics(n)
	n.snapshots = n.newSnapshotServer()
	if cfg.Key != nil {
		addr := crypto.PubkeyToAddress(cfg.Key.PublicKey)
		// A key runs as a validator whatever the set is now: the consensus
		// core signs only at heights whose set holds it, so a node whose
		// validator is approved to join (and which may not have synced the
		// approval yet) starts signing at the effective height.
		n.self, n.backend.Self = &addr, &addr
		if _, ok := knownValidator(ledger, addr); !ok {
			n.log.Warn("key is not in the validator set (as far as this node's chain goes): following as an observer until a set that holds it takes effect", "address", addr)
		}
	}
	n.driver, err = newDriver(n)
	if err != nil {
		kv.Close()
		return nil, err
	}
	return n, nil
}

// Start runs the RPC server and the consensus driver.
func (n *Node) Start() error {
	debug.SetGCPercent(gcPercent)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if err := n.startNetwork(); err != nil {
		cancel()
		return err
	}
	if n.net != nil {
		n.wg.Add(3)
		go n.broadcastTxs(ctx)
		go n.syncLoop(ctx)
		go n.admitGossipLoop(ctx)
	}
	if n.snapshots != nil {
		n.wg.Add(1)
		go n.runSnapshots(ctx)
	}
	if err := n.startRPC(ctx); err != nil {
		cancel()
		n.wg.Wait()
		return err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.driver.run(ctx); err != nil {
			n.fail(err)
		}
	}()
	n.startWebhooks(ctx)
	n.log.Info("node started", "chain", n.cfg.Genesis.ChainID, "height", n.ledger.Head().Height, "rpc", n.RPCURL(), "validator", n.self)
	return nil
}

// RPCURL is the http URL of the RPC server ("" when disabled).
func (n *Node) RPCURL() string {
	if n.rpcLn == nil {
		return ""
	}
	return "http://" + n.rpcLn.Addr().String()
}

// Fatal delivers the first error that stopped the node (a storage failure,
// say); the caller should then Close and exit non-zero.
func (n *Node) Fatal() <-chan error { return n.fatal }

func (n *Node) fail(err error) {
	n.log.Error("node failure", "err", err)
	select {
	case n.fatal <- err:
	default:
	}
}

// Close stops everything and closes the store.
func (n *Node) Close() error {
	if n.cancel != nil {
		n.cancel()
	}
	if n.rpcSrv != nil {
		n.rpcSrv.Close()
	}
	n.wg.Wait()
	if n.net != nil {
		n.net.Close()
	}
	if n.snapshots != nil {
		n.snapshots.close()
	}
	return n.kv.Close()
}

// Ledger is the node's ledger (for tests and tools).
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// Pool is the node's transaction pool.
func (n *Node) Pool() *txpool.Pool { return n.pool }

// ledgerView is the txpool's read-only view of committed state: one
// working state over the committed store, so each account is read and
// decoded once per view however often the pool asks. A new view is made
// after every commit.
type ledgerView struct {
	st      *ledger.State
	chainID string
}

func newLedgerView(l *ledger.Ledger) ledgerView { return ledgerView{l.State(), l.Genesis().ChainID} }

func (v ledgerView) Check(tx *chain.Tx) error { return ledger.CheckAdmission(v.st, v.chainID, tx) }

// NewPoolView is the pool's view of l's committed state (txpool.New takes it).
func NewPoolView(l *ledger.Ledger) txpool.StateView { return newLedgerView(l) }

func (v ledgerView) Nonce(a common.Address) uint64 {
	acct, ok := v.st.Account(a)
	if !ok {
		return 0
	}
	return acct.Nonce
}

func (v ledgerView) Locked(a common.Address, asset string) uint64 {
	acct, ok := v.st.Account(a)
	if !ok {
		return 0
	}
	return acct.Balance(asset).Locked
}

// Available is what a's debits may spend: for a purchase sub-account that
// draws from its main account, that too (ledger.State.Spendable).
func (v ledgerView) Available(a common.Address, asset string) uint64 {
	return v.st.Spendable(a, asset)
}

// loadNodeKey settles the libp2p identity: the configured node key, the
// validator key, or an observer's own key kept in DATADIR/nodekey so its
// peer id survives restarts (validators list it in --p2p.observers).
func (n *Node) loadNodeKey() error { return n.cfg.loadNodeKey() }

func (c *Config) loadNodeKey() error {
	switch {
	case c.NodeKey != nil:
		return nil
	case c.Key != nil:
		c.NodeKey = c.Key
		return nil
	}
	path := filepath.Join(c.DataDir, "nodekey")
	if k, err := crypto.LoadECDSA(path); err == nil {
		c.NodeKey = k
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("node key %s: %w", path, err)
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	if err := crypto.SaveECDSA(path, k); err != nil {
		return fmt.Errorf("save node key: %w", err)
	}
	c.NodeKey = k
	return nil
}

// PeerID is the node's libp2p peer id ("" without a network).
func (n *Node) PeerID() string {
	if n.net == nil {
		return ""
	}
	return n.net.ID().String()
}

// P2PAddrs are the node's listen multiaddrs with /p2p/ID.
func (n *Node) P2PAddrs() []string {
	if n.net == nil {
		return nil
	}
	var out []string
	for _, a := range n.net.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// consensusStatus is the core's round and key holder, and the peer count.
func (n *Node) consensusStatus() (uint32, common.Address, int) {
	st := n.driver.Status()
	return st.Round, st.Holder, n.peerCount()
}

// gossipTx queues an admitted transaction for relay; a lone node has no one
// to tell.
func (n *Node) gossipTx(tx *chain.Tx) {
	if n.net != nil {
		n.outTxs <- tx
	}
}
