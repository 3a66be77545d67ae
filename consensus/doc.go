// Package consensus is Sovereign's sovereign-key protocol: Tendermint's BFT
// consensus (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT
// consensus", Algorithm 1) where the proposer of (height, round), the
// sovereign key holder, is chain.ValidatorSet.Holder(s_h, round) and the
// seed advances with each decided block's reveal:
// s_{h+1} = chain.NextSeed(s_h, block.Header.Reveal).
//
// The core is a pure, deterministic state machine in the manner of
// etcd-io/raft: no goroutines, no I/O, no clock, no randomness. The node
// drives it with four inputs:
//
//   - Tick() advances logical time by one tick (the node ticks every 10ms);
//     timeouts are counted in ticks and grow per round up to a cap.
//   - Step(msg) feeds a message received from a peer.
//   - Propose(block) answers a ProposeRequest with the block the node built.
//   - Catchup(commit) feeds a block and certificate obtained by sync when the
//     node is behind.
//
// Each input may produce output, collected in a Ready value. While
// HasReady() reports true, the node must handle rd := Ready() in exactly
// this order:
//
//  1. Persist rd.Safety and rd.Valid, those that are non-nil, and sync
//     them to disk. Safety records the last height/round/step this
//     validator signed, the votes it signed there, and its lock; Valid is
//     the locked/valid block with its proof of lock. A restarted validator
//     passes both back in StartState and the machine refuses to sign
//     anything at or before the record (cometbft's CheckHRS), so it can
//     never double-sign, and re-sends the recorded votes, which the crash
//     may have kept from leaving.
//  2. Persist rd.Committed in order, each block with its certificate in one
//     atomic batch, and apply them to the node's state.
//  3. Send rd.Messages to all validators. Never before step 1: a vote that
//     leaves the node before its safety record is on disk could be signed
//     again differently after a crash.
//  4. Call Advance(rd).
//
// Then, if rd.Propose is non-nil, build a block on the last committed block
// (Header Height/Round from the request, Proposer = own address,
// LastCommit = rd.Propose.LastCommit, the node's next reveal) and call
// Propose. rd.Evidence lists validators caught signing two different votes
// for one step; the node may submit it in a transaction.
//
// Validity of a block, valid(v) in the paper, is split: the core checks the
// chain id, height, that Header.Proposer is the key holder of Header.Round
// (a re-proposed block keeps its original round and proposer), and that
// Header.LastCommit is a valid certificate for the parent (nil at height 1);
// App.ValidateBlock checks everything else (transactions, reveal, roots,
// time after the parent's). ValidateBlock must be deterministic, never a
// function of the local clock: the core caches its answer per block hash for
// the height. The core calls it only after every Commit it emitted has been
// acknowledged with Advance, so the node's state is always the parent's
// state when asked.
//
// Timeliness (proposer-based timestamps) is not part of valid(v):
// App.CheckTimely, "is the block time close to my clock, neither too far
// ahead nor too far behind", is asked only of a fresh proposal (POLRound
// -1) the machine would otherwise prevote (line 23), anew each time, and
// never cached. A block with a proof of lock was found timely by more than
// 2/3 of the power; refusing it for the local clock would let a Byzantine
// key holder split the locks with a block stamped at the edge of the drift
// and stall the chain (TestNoStallFromClockRejection).
//
// Lost signer state. The safety record is the validator's signer state. A
// node that cannot trust it to hold everything it signed (the file is
// missing after a lost or wiped data dir, or older than the chain it kept,
// restored from a backup) starts the machine with StartState.SignerStateLost.
// The machine then follows the chain signing nothing, and writes no
// Ready.Safety or Ready.Valid (so a crash meanwhile restarts it lost again),
// until it has decided Config.DoubleSignCheckHeights (default 2) consecutive
// heights from live votes with no message signed by its own key at those
// heights or later and no sign of being behind (a message two heights
// ahead, a height decided by Catchup); anything else starts the count
// again. Status.SignerWatch counts the heights left and
// Status.OwnSignatureSeen names the highest height where its own signature
// turned up; Propose returns ErrSignerWatch meanwhile. The node should log
// both while SignerWatch > 0. A node creates an empty signer state when it
// is initialised, so that "missing" later means "lost". With one validator
// nobody else decides heights: the watch never ends, and the operator must
// restore the signer state or set DoubleSignCheckHeights < 0 (no watch).
//
// Relaying and memory. A node should relay a proposal only from the key
// holder of its round (IsRightfulProposer, VerifyProposal with the seed of
// the proposal's height). Next-height messages are kept in a buffer of
// Config.MaxBufferedMessages with at most MaxBufferedPerValidator per
// signer; messages for rounds beyond the next two are kept only for each
// validator's latest such round (three messages), and votes within them at
// most for four blocks per validator, so one noisy validator cannot grow
// the machine's memory or crowd out the others.
//
// Liveness on a lossy network: every RebroadcastTicks the machine re-sends
// its own proposal and votes of the current and previous round, and when a
// peer sends messages for the previous height it re-sends the proposal and
// certificate precommits that decided it. A node further behind needs sync
// (Catchup). The node's transport must therefore not deduplicate repeated
// identical messages forever (gossipsub's seen-cache does; use a message id
// that includes the time bucket, or a short seen TTL).
//
// Errors from Step wrap the sentinels in errors.go: ErrStale (old height)
// and ErrBufferFull are routine; ErrBadSignature, ErrNotHolder,
// ErrUnknownValidator and ErrMalformed mean the sender misbehaved or is
// broken.
//
// The machine is not safe for concurrent use.
package consensus
