// Package snapshot exports and imports state snapshots, so that a node can
// join a chain at a final height H without replaying it from genesis
// (docs/adr/0065-state-snapshots.md).
//
// A snapshot is a manifest and chunks. The manifest names the genesis, the
// block of H, its commit certificate and each chunk's hash and first trie
// key. A chunk is a run of flat-state entries in trie-key order
// (Keccak-256 of the key) with the Merkle proofs of its edges, so that it
// verifies on its own against the state root of H (a range proof, as in
// go-ethereum's snap sync): a bad chunk is refused and can be fetched from
// another peer. The state root is trusted only through the header of H,
// whose certificate is checked against the validator set in force at H
// (ValidatorsAt), and, when the operator names one, a trusted height and
// hash.
//
// The same manifest and chunks travel in a file (Write, Read) and over the
// network (package p2p's snapshot protocol); Importer applies verified
// chunks in order to an empty store.
package snapshot
