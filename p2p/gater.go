package p2p

import (
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater admits only validators (by the address inside their peer id) and
// the configured observer peer ids; everyone else is refused once the
// Noise handshake has proven who they are, and logged. The validators are
// the genesis set until the node replaces them (SetValidators) as the set
// changes by governance.
type gater struct {
	valMu      sync.RWMutex
	validators map[common.Address]bool
	observers  map[peer.ID]bool
	log        *slog.Logger
	now        func() time.Time

	mu     sync.Mutex
	logged map[peer.ID]time.Time // rate-limits the refusal log per peer
	banned map[peer.ID]time.Time // admitted peers refused until then (score.go)
}

// The refusal log names a refused peer at most once per refusalLogEvery,
// and remembers at most refusalLogPeers peers: peer ids cost nothing to
// make, so a stranger cycling through them must not grow the gater's
// memory without bound (beyond that, refusals go unlogged until entries
// expire).
const (
	refusalLogEvery = time.Minute
	refusalLogPeers = 1024
)

func newGater(validators []common.Address, observers []peer.ID, log *slog.Logger) *gater {
	g := &gater{validators: map[common.Address]bool{}, observers: map[peer.ID]bool{}, log: log, now: time.Now, logged: map[peer.ID]time.Time{}, banned: map[peer.ID]time.Time{}}
	for _, v := range validators {
		g.validators[v] = true
	}
	for _, o := range observers {
		g.observers[o] = true
	}
	return g
}

// Allowed reports whether id may connect: an admitted peer not banned.
func (g *gater) Allowed(id peer.ID) bool {
	return g.admitted(id) && !g.isBanned(id)
}

func (g *gater) admitted(id peer.ID) bool {
	if g.observers[id] {
		return true
	}
	a, err := AddressOf(id)
	if err != nil {
		return false
	}
	g.valMu.RLock()
	defer g.valMu.RUnlock()
	return g.validators[a]
}

// setValidators replaces the admitted validators.
func (g *gater) setValidators(validators []common.Address) {
	m := make(map[common.Address]bool, len(validators))
	for _, v := range validators {
		m[v] = true
	}
	g.valMu.Lock()
	g.validators = m
	g.valMu.Unlock()
}

// ban refuses an admitted peer for d and reports whether it was not banned
// already. Only admitted peers are banned (the others are refused anyway),
// so the ban list is no longer than the validators and observers.
func (g *gater) ban(id peer.ID, d time.Duration) bool {
	if !g.admitted(id) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if until, ok := g.banned[id]; ok && now.Before(until) {
		return false
	}
	g.banned[id] = now.Add(d)
	return true
}

func (g *gater) isBanned(id peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.banned[id]
	if ok && !g.now().Before(until) {
		delete(g.banned, id)
		return false
	}
	return ok
}

func (g *gater) refuse(id peer.ID, why string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if last, ok := g.logged[id]; ok && now.Sub(last) < refusalLogEvery {
		return false
	}
	if len(g.logged) >= refusalLogPeers {
		for p, last := range g.logged {
			if now.Sub(last) >= refusalLogEvery {
				delete(g.logged, p)
			}
		}
		if len(g.logged) >= refusalLogPeers {
			return false
		}
	}
	g.logged[id] = now
	reason := "not a validator or configured observer"
	if g.admitted(id) {
		reason = "banned for sending messages that failed validation"
	}
	g.log.Warn("refused peer: "+reason, "peer", id, "when", why)
	return false
}

func (g *gater) InterceptPeerDial(id peer.ID) bool {
	return g.Allowed(id) || g.refuse(id, "dial")
}

func (g *gater) InterceptAddrDial(id peer.ID, _ ma.Multiaddr) bool { return g.InterceptPeerDial(id) }

func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

func (g *gater) InterceptSecured(_ network.Direction, id peer.ID, _ network.ConnMultiaddrs) bool {
	return g.Allowed(id) || g.refuse(id, "handshake")
}

func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
