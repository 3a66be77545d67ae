package node

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jonboulle/clockwork"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/snapshot"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Config is everything a node needs to start.
type Config struct {
	DataDir string
	Genesis *chain.Genesis
	// Store is the chain database; nil opens goleveldb in DATADIR/chaindata.
	// Tests pass ledger.NewMemStore().
	Store ledger.Store

	// Key is the validator key; nil runs an observer that follows and
	// serves but never votes.
	Key *ecdsa.PrivateKey
	// HashChainSecret is the validator's reveal-chain secret (x_L).
	HashChainSecret common.Hash
	HashChainLength uint64
	// DoubleSignCheckHeights is how many heights a validator whose signer
	// state (DATADIR/signer) is missing or older than the chain watches
	// without signing (0: consensus's default of 2; negative: no watch).
	DoubleSignCheckHeights int
	// NoAutoVoteEvidence stops this validator from voting, by itself, for
	// the removal proposals that evidence opens (governance.go); the
	// config key governance.auto-vote-evidence = false sets it.
	NoAutoVoteEvidence bool

	RPCAddr string // host:port; empty disables RPC
	// RPCLimits are the RPC server's limits and WebSocket origins (zero
	// fields: rpc's defaults); its AuthSecret is set from RPCAuth.
	RPCLimits rpc.Config
	// RPCAuth turns RPC access control on or off (RPCAuthOn, RPCAuthOff);
	// empty: on unless RPCAddr is a loopback address.
	RPCAuth string
	// RPCSecretFile holds the token secret (hex); default
	// DATADIR/rpc-jwt.hex, created when missing.
	RPCSecretFile string
	// MetricsAddr serves /metrics on its own host:port; empty: beside RPC.
	MetricsAddr string

	Explorer ExplorerConfig // the chain explorer, served beside RPC (explorer.go)

	Webhooks []Webhook // bank back-ends notified of final events (webhooks.go)

	// SnapshotSync, when set and the store is empty, joins the chain from
	// the peers' state snapshots (verified against this trust; its Genesis
	// is set from Genesis) instead of replaying it (snapshot.go).
	SnapshotSync *snapshot.Trust
	// SnapshotInterval is how many blocks apart the node takes a snapshot
	// to serve to peers; 0 serves none.
	SnapshotInterval uint64

	// Network. With no listen address the node runs alone (a single
	// validator chain).
	P2PListen []string // multiaddrs, e.g. /ip4/127.0.0.1/tcp/30300
	Bootnodes []string // multiaddrs ending in /p2p/PEER_ID
	Observers []string // peer ids admitted besides the validators
	// P2PMeshDegree is gossipsub's mesh degree (p2p.Config.MeshDegree);
	// 0: p2p.DefaultMeshDegree.
	P2PMeshDegree int
	// NodeKey is the libp2p identity; default: the validator key, or for an
	// observer a key kept in DATADIR/nodekey.
	NodeKey *ecdsa.PrivateKey

	// DeepCheck makes the start-up integrity check also verify every
	// certificate's signatures, read every key against its checksum and
	// re-hash the state (ledger.CheckIntegrity); the quick check runs always.
	DeepCheck bool

	Tick time.Duration // the consensus core's logical tick
	Pool txpool.Config

	Health HealthConfig // /readyz and the feedback metrics (health.go)

	Logger *slog.Logger
	Clock  Clock // nil = the system clock
}

// Clock is the node's only source of time: wall time for block timestamps,
// timeliness and the idle wait, and the tickers of the consensus tick,
// transaction batching and sync. Tests drive a node on
// clockwork.NewFakeClock, or on an OffsetClock they move forward.
type Clock = clockwork.Clock

// OffsetClock is the system clock shifted by an offset that may change
// while the node runs: the hidden --clock.offset flag (fault tests of a
// validator whose clock is wrong), and tests that move a chain's time past
// a protection period or a deadline instead of sleeping through it. Its
// tickers run on the system clock.
type OffsetClock struct {
	clockwork.Clock
	offset atomic.Int64
}

// NewOffsetClock is the system clock shifted by off.
func NewOffsetClock(off time.Duration) *OffsetClock {
	c := &OffsetClock{Clock: clockwork.NewRealClock()}
	c.offset.Store(int64(off))
	return c
}

func (c *OffsetClock) Now() time.Time                  { return c.Clock.Now().Add(time.Duration(c.offset.Load())) }
func (c *OffsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Advance moves the clock forward by d.
func (c *OffsetClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func (c *Config) fill() error {
	if c.DataDir == "" {
		return fmt.Errorf("node config: data dir is required")
	}
	if c.Genesis == nil {
		return fmt.Errorf("node config: genesis is required")
	}
	if c.Tick == 0 {
		c.Tick = 10 * time.Millisecond
	}
	if c.HashChainLength == 0 {
		c.HashChainLength = chain.DefaultHashChainLength
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	return nil
}

// openStore is the configured store, or the goleveldb database in the data dir.
func (c *Config) openStore() (ledger.Store, error) {
	if c.Store != nil {
		return c.Store, nil
	}
	return ledger.OpenLevelDB(c.storeDir())
}

// storeDir is the goleveldb database's directory (`sovereign db repair` takes
// the data dir and repairs this).
func (c *Config) storeDir() string {
	if c.Store != nil {
		return "the configured store"
	}
	return StoreDir(c.DataDir)
}

// StoreDir is the chain database's directory in a data dir.
func StoreDir(dataDir string) string { return filepath.Join(dataDir, "chaindata") }
