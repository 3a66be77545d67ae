// Package node wires Sovereign's parts together and owns every goroutine,
// socket and file: the store and ledger, the txpool, the consensus driver
// (which feeds the pure consensus core ticks and messages and carries out
// its Ready batches: persist safety record, commit blocks, send, advance),
// and the RPC server.
package node
