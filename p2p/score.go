package p2p

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Peer scoring (docs/adr/0033-p2p-peer-scoring.md). Every peer is admitted
// by the gater, so scoring is not about strangers: it is about an admitted
// peer that floods messages our validators reject (junk transactions,
// consensus messages signed by no validator, bad signatures). Honest peers
// relay only what they validated themselves, so they collect next to no
// invalid deliveries. Each invalid delivery weighs -1, squared by
// gossipsub (P4), and decays to nothing within about ten minutes; a
// peer whose score falls below disconnectScore is disconnected and
// refused by the gater for banFor.
const (
	gossipThreshold   = -10  // below: we stop gossiping (IHAVE/IWANT) with the peer
	publishThreshold  = -50  // below: we do not flood-publish to it
	graylistThreshold = -100 // below: we ignore everything it sends
	disconnectScore   = -100 // at or below: disconnected and banned
	invalidWeight     = -1.0 // per invalid message, squared: 10 junk messages reach -100
	banFor            = 2 * time.Minute
	scoreRetention    = 10 * time.Minute // a reconnecting peer keeps its score this long
)

// scoreInspectEvery is how often the scores are checked for peers to
// disconnect; a variable so tests can shorten it.
var scoreInspectEvery = time.Second

func topicScoreParams() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		SkipAtomicValidation:           true, // only the invalid-delivery penalty (P4)
		TopicWeight:                    1,
		TimeInMeshQuantum:              time.Second, // unused (weight 0) but gossipsub divides by it
		InvalidMessageDeliveriesWeight: invalidWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
	}
}

// peerScoreParams scores invalid deliveries on every topic of the chain.
// IP colocation is not penalised: member banks may well share a network.
func peerScoreParams(topics []string) *pubsub.PeerScoreParams {
	p := &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		Topics:               map[string]*pubsub.TopicScoreParams{},
		AppSpecificScore:     func(peer.ID) float64 { return 0 },
		DecayInterval:        pubsub.DefaultDecayInterval,
		DecayToZero:          pubsub.DefaultDecayToZero,
		RetainScore:          scoreRetention,
	}
	for _, t := range topics {
		p.Topics[t] = topicScoreParams()
	}
	return p
}

func peerScoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:   gossipThreshold,
		PublishThreshold:  publishThreshold,
		GraylistThreshold: graylistThreshold,
	}
}

// inspectScores disconnects and bans the peers whose score fell to
// disconnectScore. gossipsub calls it every scoreInspectEvery.
func (n *Network) inspectScores(scores map[peer.ID]float64) {
	for id, s := range scores {
		if s > disconnectScore || !n.gater.ban(id, banFor) {
			continue
		}
		n.log.Warn("disconnected peer: it sent messages that failed validation", "peer", id, "score", s, "banned_for", banFor)
		_ = n.host.Network().ClosePeer(id)
	}
}
