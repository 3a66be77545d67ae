// Package node wires Sovereign's parts together and owns every goroutine,
// socket and file: the store and ledger, the txpool, the consensus driver,
// the p2p network, the RPC server, the explorer and the webhooks.
//
// # Who owns what
//
// Every goroutine is started by Start (or by New's callees at Start) under
// one context and one WaitGroup; Close cancels the context and waits for
// all of them before it closes the network and then the database, so no
// goroutine outlives the store it reads.
//
//   - The driver goroutine (driver.run) is the only one that touches the
//     consensus core. It alone writes: the signer state (DATADIR/signer,
//     synced before any message leaves), final blocks (through the
//     Finalizer, which also updates the pool and wakes waiters), the hash
//     chains and the validator's own transactions (ownTxs, evidence,
//     rotator). It reads ticks, peer messages, synced blocks and pool
//     readiness from channels, so none of its state needs a lock; the
//     status it publishes for others sits behind statusMu.
//   - The proposer and the rotator are the driver's narrow helpers: they
//     read the ledger and the pool and never the Node.
//   - broadcastTxs batches transactions admitted here and publishes them;
//     admitGossipLoop admits the batches peers gossip (handed over by the
//     driver; when it falls behind, the driver admits them itself);
//     syncLoop asks peers for blocks when the driver signals it is behind
//     (syncWanted) and hands them to the driver (synced). None of them
//     writes the ledger.
//   - The p2p network runs its own goroutines (gossipsub, the sync
//     protocol's responders); topic validators run there, across cores,
//     and only decode, check signatures and recover senders (sigCache is
//     safe for concurrent use).
//   - The RPC, metrics and explorer servers run one goroutine each plus
//     one per connection (net/http, go-ethereum's rpc). They read the
//     ledger (safe for concurrent readers; its head moves under a lock),
//     admit transactions to the pool (safe for concurrent use) and wait on
//     the FinalSignal.
//   - Each webhook has one goroutine that follows final blocks and owns
//     its cursor file.
//   - The operations metrics (opsmetrics.go) are fed by the driver
//     goroutine (final blocks, status, refused proposals, peer heights)
//     under their own lock and atomics; scrapes and /readyz (health.go)
//     read them from the metrics server's goroutines.
//
// Time comes from Config.Clock everywhere a decision depends on it (block
// timestamps, timeliness, the idle wait, the consensus tick), so tests can
// drive a node on a clock they control.
package node
