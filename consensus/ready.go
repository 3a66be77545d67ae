package consensus

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// StartState is where a Machine starts: the node's view of its own disk.
type StartState struct {
	// Height is the next height to decide (1 on a fresh chain).
	Height uint64
	// Seed is s_Height, the seed that orders the key holders for Height.
	Seed common.Hash
	// LastCommit is the certificate of block Height-1; nil at height 1.
	LastCommit *chain.Certificate
	// Safety is the last persisted safety record; nil if none was ever
	// written.
	Safety *SafetyRecord
	// Valid is the last persisted Ready.Valid; nil if none. It is used only
	// if it matches Safety's height and valid block.
	Valid *ValidValue
	// SignerStateLost says the node cannot trust Safety to hold everything
	// it ever signed: the signer-state file is missing (a lost or wiped
	// data dir) or older than the chain it kept (restored from a backup).
	// The machine then signs nothing until it has watched
	// Config.DoubleSignCheckHeights heights without a signature of its own
	// (Status.SignerWatch counts them down), so that it cannot sign again,
	// differently, a step it signed before the loss.
	SignerStateLost bool
}

// ProposeRequest asks the node to build a block for (Height, Round) and hand
// it to Machine.Propose. The block's header must carry Height, Round, the
// node's own address as Proposer, LastCommit as given and the proposer's
// reveal. It is only issued when the machine holds no locked or valid block
// (those it re-proposes itself), so the node can never be asked for a block
// that conflicts with its lock. Apply Ready.Committed first: the block
// builds on the last committed block.
type ProposeRequest struct {
	Height     uint64
	Round      uint32
	LastCommit *chain.Certificate
	Seed       common.Hash
}

// Commit is a decided block and its commit certificate.
type Commit struct {
	Block *chain.Block
	Cert  *chain.Certificate
}

// Ready is a batch of side effects. The node handles it in this order:
//
//  1. persist Safety and Valid (synced) if non-nil,
//  2. persist and apply Committed, in order (one atomic batch per block),
//  3. send Messages (broadcast to all validators),
//  4. call Advance(rd),
//
// then answer Propose (if any) and report Evidence as it likes.
type Ready struct {
	Safety    *SafetyRecord
	Valid     *ValidValue // the block and proof of lock behind Safety.ValidBlock, when it changed
	Committed []Commit
	Messages  []Message
	Propose   *ProposeRequest
	Evidence  []Evidence
}

// Status is a snapshot of where the machine is.
type Status struct {
	Height      uint64
	Round       uint32
	Step        RoundStep
	Holder      common.Address // the key holder of the current (height, round)
	Seed        common.Hash    // s_Height
	LockedRound int32
	LockedBlock common.Hash
	ValidRound  int32
	ValidBlock  common.Hash
	// Ticks counts Tick calls since New.
	Ticks uint64
	// SignerWatch is how many more heights the machine watches before it
	// signs again after a start with SignerStateLost (0: it signs). The
	// node should log it while it is above zero, and when it changes.
	SignerWatch int
	// OwnSignatureSeen is the last height at which the watch found a
	// message signed with this validator's key that this machine did not
	// sign (0: none): proof that it signed there before it lost its state.
	OwnSignatureSeen uint64
}
