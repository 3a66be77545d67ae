// Package faultnet runs validators of the built sovereign binary in Linux
// network namespaces of their own, joined by veth pairs to a bridge, and
// injects faults into them: network cuts and partitions (iptables rules
// inside each namespace), SIGSTOP/SIGCONT, kill -9 and restart, a clock set
// ahead or behind (the node's hidden --clock.offset flag) and a full disk (a
// small tmpfs on the data dir).
//
// A Load submits signed transfers and escrows to every live node and
// records each acknowledgement; Check then verifies what a member bank
// relies on: every acknowledged transaction is final exactly once on every
// node, every node holds the same blocks and state roots, and per asset the
// money on accounts equals minted minus burned.
//
// A node's pool lives in memory: a transaction it admitted but had not yet
// gossiped dies with it. The load generator, like a wallet, keeps the signed
// bytes of every acknowledged transaction and resubmits the same bytes to a
// live node until the transaction is final; the nonce makes a second
// inclusion impossible. Pools are not journaled.
//
// Everything here needs root (namespaces, iptables, mount) and is used by
// the package's tests; see docs/FAULTS.md.
package faultnet
