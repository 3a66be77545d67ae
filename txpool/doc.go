// Package txpool holds the transactions a node has accepted but not yet seen
// in a committed block, and hands the block producer the ones that can run
// next.
//
// # Admission
//
// Add checks each transaction in two phases. The first runs without the pool
// lock, spread over Config.Workers goroutines: size, chain id, whether the
// transaction is already known or already being verified, and signature
// recovery. The second takes the lock and checks the transaction against the
// committed ledger (the StateView) and the sender's queue: the nonce is not
// below the account's nonce, nor more than NonceWindow ahead of it, nor taken
// by another transaction of the sender; the sender's queued debits
// (chain.Tx.Debit), summed per asset, stay within its available balance; and
// the per-sender and total limits hold. Incoming transfers are not counted:
// a queue must be covered by what the sender holds now. Every rejection
// wraps a chain sentinel error, so errors.Is and chain.CodeOf work on it.
// Recent rejections are remembered by hash for status queries (Rejected).
//
// # Recover each signature once
//
// A *chain.Tx caches the signers it recovered. The pool keeps the very
// pointer it admitted and returns it from Pending and Get, so block apply
// reads the cached sender. Within the pool a transaction is verified at most
// once: its hash is claimed before its signature is recovered, so duplicates
// arriving at the same time (the same batch, or gossip from two peers) are
// answered chain.ErrAlreadyKnown without a second recovery. Transactions
// whose fate is settled are answered from memory, also without recovery: a
// recently included one (chain.ErrAlreadyKnown), one rejected for good (a
// bad signature, a nonce the ledger has passed). Only a transaction refused
// for a reason that may pass (funds, limits, a nonce too far ahead) is
// verified again when resubmitted, since the pool does not keep refused
// transactions.
//
// # Ordering
//
// Per sender, transactions are kept sorted by nonce. The run of consecutive
// nonces starting at the account's state nonce is executable; anything after
// a gap waits for the gap to fill. Pending merges the executable runs of all
// senders first-come first-served: the next transaction is always the one
// that arrived earliest among each sender's next executable transaction.
//
// # Eviction and re-check
//
// When the pool is full, a transaction that would be executable at once
// evicts the highest-nonce waiting (gapped) transaction of another sender;
// otherwise it is refused with chain.ErrPoolFull. After each committed block,
// Update drops included and stale transactions and re-checks every sender's
// queue against the new balances, dropping a queue from its first overdraft
// on. Dropped transactions are recorded as rejected.
//
// # Use
//
// The block producer selects on Wait (closed while executable transactions
// wait) beside its empty-block timer, takes Pending for its block, and once
// the block commits calls Update with the new state and the block's
// transactions. Pending does not remove anything; Update does.
//
// # Concurrency
//
// A Pool is safe for concurrent use and starts no goroutines of its own
// beyond the short-lived workers inside Add. The StateView passed to New or
// Update must be a snapshot that stays valid and unchanged until the next
// Update; the pool reads it under its lock.
package txpool
