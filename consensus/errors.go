package consensus

import "errors"

// Errors returned by Step, Propose and Catchup. Callers tell them apart with
// errors.Is; the wrapped message names what exactly was wrong.
var (
	// ErrStale: the message is for a height the machine has left. Harmless;
	// peers that lag behind send these all the time.
	ErrStale = errors.New("stale message")
	// ErrFuture: the message is too far ahead to keep (a height beyond the
	// next one). The node is probably behind and should sync.
	ErrFuture = errors.New("message too far ahead")
	// ErrBufferFull: a next-height message was dropped because the bounded
	// buffer is full. The sender's periodic rebroadcast brings it back.
	ErrBufferFull = errors.New("future-message buffer full")
	// ErrMalformed: the message breaks a structural rule (missing fields,
	// bad vote type, POL round not below the round, ...).
	ErrMalformed = errors.New("malformed message")
	// ErrBadSignature: a signature does not recover to the claimed signer.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnknownValidator: the signer is not in the validator set.
	ErrUnknownValidator = errors.New("unknown validator")
	// ErrNotHolder: a proposal not signed by the sovereign key holder of its
	// (height, round), or a Propose call when this node is not asked to.
	ErrNotHolder = errors.New("not the key holder")
	// ErrInvalidBlock: the block breaks a rule the core checks itself
	// (height, round, proposer, parent, last commit certificate).
	ErrInvalidBlock = errors.New("invalid block")
	// ErrWouldDoubleSign: signing would go back in height/round/step or
	// sign a second, different message at the same step.
	ErrWouldDoubleSign = errors.New("refused: would double-sign")
	// ErrSignerWatch: the machine started with its signer state lost and
	// signs nothing until its watch is over (Status.SignerWatch).
	ErrSignerWatch = errors.New("refused: signer state lost, watching for own signatures")
)
