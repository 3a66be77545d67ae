package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Node is one running Sovereign node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	store  *chain.Store
	ledger *chain.Ledger
	pool   *txpool.Pool
	driver *driver
	self   *common.Address

	rpcSrv  *rpc.Server
	httpSrv *http.Server
	rpcLn   net.Listener

	finalMu sync.Mutex
	finalCh chan struct{} // closed and replaced on every commit

	cancel context.CancelFunc
	wg     sync.WaitGroup
	fatal  chan error
}

// New opens the node's store and builds its parts; Start runs it.
func New(cfg Config) (*Node, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	store, err := chain.OpenStore(filepath.Join(cfg.DataDir, "chaindata"))
	if err != nil {
		return nil, err
	}
	ledger, err := chain.OpenLedger(store, cfg.Genesis)
	if err != nil {
		store.Close()
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, store: store, ledger: ledger, finalCh: make(chan struct{}), fatal: make(chan error, 1)}
	n.pool = txpool.New(cfg.Pool, cfg.Genesis.ChainID, ledgerView{ledger})
	if cfg.Key != nil {
		addr := crypto.PubkeyToAddress(cfg.Key.PublicKey)
		if _, ok := ledger.Validators().Get(addr); ok {
			n.self = &addr
		} else {
			n.log.Warn("key is not in the validator set; running as an observer", "address", addr)
		}
	}
	n.driver, err = newDriver(n)
	if err != nil {
		store.Close()
		return nil, err
	}
	return n, nil
}

// Start runs the RPC server and the consensus driver.
func (n *Node) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if n.cfg.RPCAddr != "" {
		ln, err := net.Listen("tcp", n.cfg.RPCAddr)
		if err != nil {
			cancel()
			return fmt.Errorf("rpc listen %s: %w", n.cfg.RPCAddr, err)
		}
		n.rpcLn = ln
		n.rpcSrv = rpc.NewServer(backend{n})
		n.httpSrv = &http.Server{Handler: n.rpcSrv.Handler()}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.fail(fmt.Errorf("rpc server: %w", err))
			}
		}()
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.driver.run(ctx); err != nil {
			n.fail(err)
		}
	}()
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
	if n.httpSrv != nil {
		n.httpSrv.Close()
	}
	if n.rpcSrv != nil {
		n.rpcSrv.Close()
	}
	n.wg.Wait()
	return n.store.Close()
}

// Ledger is the node's ledger (for tests and tools).
func (n *Node) Ledger() *chain.Ledger { return n.ledger }

// Pool is the node's transaction pool.
func (n *Node) Pool() *txpool.Pool { return n.pool }

// committed wakes everyone waiting for a new final block.
func (n *Node) committed() {
	n.finalMu.Lock()
	close(n.finalCh)
	n.finalCh = make(chan struct{})
	n.finalMu.Unlock()
}

func (n *Node) finalSignal() <-chan struct{} {
	n.finalMu.Lock()
	defer n.finalMu.Unlock()
	return n.finalCh
}

// ledgerView is the txpool's read-only view of committed state.
type ledgerView struct{ l *chain.Ledger }

func (v ledgerView) Nonce(a common.Address) uint64 {
	acct, ok, err := v.l.Account(a)
	if err != nil || !ok {
		return 0
	}
	return acct.Nonce
}

func (v ledgerView) Available(a common.Address, asset string) uint64 {
	acct, ok, err := v.l.Account(a)
	if err != nil || !ok {
		return 0
	}
	return acct.Balance(asset).Available
}

var _ = consensus.Message{}
