// Package p2p is Sovereign's network: a libp2p host (TCP, Noise, yamux)
// whose peer id is derived from the participant's secp256k1 key, a
// connection gater that admits only the genesis validators and configured
// observers, gossipsub topics for transaction batches, proposals and votes
// (each with a validator that drops malformed, unsigned or wrong-chain
// messages before relay), and a request-response protocol that serves final
// blocks with their certificates to a node that is behind.
//
// The package moves bytes and validated values; what the values mean is the
// node's business: validators are injected as functions.
package p2p
