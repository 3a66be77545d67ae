package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Backend is what the RPC service needs from a node. It is defined here,
// where it is consumed, as three small interfaces; every one is required, so
// a backend that lacks a capability does not compile. node implements it, and
// node/nodetest runs the same implementation over an in-memory store.
type Backend interface {
	TxSubmitter
	ChainReader
	EscrowReader
	RequestReader
	EvidenceReader
	PolicyReader
	GovernanceReader
}

// TxSubmitter admits transactions to the node's pool.
type TxSubmitter interface {
	// SubmitTxs admits decoded transactions (signatures recovered in
	// parallel) and returns one error per transaction, nil when admitted. A
	// rejection wraps a chain sentinel (chain.CodeOf gives its code).
	SubmitTxs(txs []*chain.Tx) []error
	// PendingNonce is the nonce the sender's next transaction should carry,
	// counting those still waiting in the pool (ok false when none wait).
	PendingNonce(addr common.Address) (nonce uint64, ok bool)
}

// ChainReader reads final blocks, transactions, accounts and proofs.
type ChainReader interface {
	// Genesis is the chain's genesis (chain id, assets and their decimals, banks, validators).
	Genesis() *chain.Genesis
	// LookupTx finds a transaction: in a final block, in the pool, or
	// recently rejected. found is false when the node has never seen it.
	LookupTx(hash common.Hash) (TxLookup, bool, error)
	// BlockByNumber returns a final block, its commit certificate (nil if the
	// certificate is not yet known, i.e. for the head before its successor
	// carries it — the node stores it, so normally present) and receipts.
	BlockByNumber(height uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error)
	// Account returns the committed account (ok false if it does not exist).
	Account(addr common.Address) (acct *chain.Account, ok bool, err error)
	// Proof returns the value stored under a state key and a Merkle proof of
	// it (or of its absence) against the header of the final block it came from.
	Proof(key []byte) (StateProof, error)
	// Info is the chain's current status.
	Info() ChainStatus
	// WaitFinal blocks until the final height is at least h or ctx ends.
	WaitFinal(ctx context.Context, h uint64) error
}

// TxLookup is where a transaction stands.
type TxLookup struct {
	Tx      *chain.Tx      // nil when only the rejection is remembered
	Status  string         // "pending" | "final" | "rejected" (a block is final when it is committed: there is no "included" in between)
	Code    string         // rejection code when rejected (from the receipt or from admission)
	Height  uint64         // block height when included/final
	Index   int            // position in the block
	Receipt *chain.Receipt // when included/final
}

// StateProof proves a state value against a final header.
type StateProof struct {
	Key    []byte
	Value  []byte   // RLP value, nil when the key is absent
	Nodes  [][]byte // Merkle-Patricia proof nodes for Keccak(Key), root first
	Header *chain.Header
}

// ChainStatus is the node's view of the chain.
type ChainStatus struct {
	ChainID     string
	GenesisHash common.Hash
	FinalHeight uint64 // highest stored block: a node stores final blocks only
	Round       uint32
	Holder      common.Address // current sovereign key holder
	Validators  []chain.Validator
	Self        *common.Address // this node's validator address, nil for observers
	PeerCount   int
	HistoryFrom uint64 // the snapshot height this node's history starts at; 0: it keeps the chain from genesis
}
