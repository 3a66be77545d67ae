// Package chain holds Sovereign's protocol value types (transactions, blocks,
// headers, receipts, certificates), their one canonical binary encoding (RLP)
// and hashes, genesis, the ledger rules and the state transition, the state
// commitment and the block store.
//
// Everything hashed or signed is RLP-encoded first; JSON exists only at the
// RPC edge. A transaction's hash is Keccak-256 of its full encoding and is its
// record number.
//
// Nothing in this package reads a clock: time enters only as a block's
// timestamp, which consensus has agreed on.
package chain
