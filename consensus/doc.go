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
// time). The core calls App.ValidateBlock only after every Commit it
// emitted has been acknowledged with Advance, so the node's state is always
// the parent's state when asked.
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
