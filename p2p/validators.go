package p2p

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
)

// SetValidators replaces the validators the gater admits, as the set in
// force changes (governance), and disconnects every connected peer that is
// no longer admitted: a removed validator's node, or an old key's after a
// rotation. Observers configured at start stay admitted. It returns the
// peers it disconnected.
func (n *Network) SetValidators(validators []common.Address) []peer.ID {
	n.gater.setValidators(validators)
	var closed []peer.ID
	for _, p := range n.host.Network().Peers() {
		if n.gater.admitted(p) {
			continue
		}
		if err := n.host.Network().ClosePeer(p); err != nil {
			n.log.Warn("disconnect peer that left the validator set", "peer", p, "err", err)
			continue
		}
		closed = append(closed, p)
		n.log.Info("disconnected peer: no longer a validator", "peer", p)
	}
	return closed
}

// Admits reports whether the gater admits the validator at address a.
func (n *Network) Admits(a common.Address) bool {
	n.gater.valMu.RLock()
	defer n.gater.valMu.RUnlock()
	return n.gater.validators[a]
}
