// Package chainfile reads and writes the portable chain file (.sovx) that
// `sovereign export` writes and `sovereign import` and `sovereign audit`
// read: the genesis document, every block in height order, and the last
// block's commit certificate, as a stream of length-prefixed frames
// (docs/adr/0035-chain-file.md). Neither side holds more than one frame in
// memory.
package chainfile
