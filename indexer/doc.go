// Package indexer follows a node's final blocks over JSON-RPC and writes
// them into PostgreSQL for a bank's back office: blocks, transactions,
// receipts, events, balance movements, accounts and their balances,
// escrows, payouts, the steps banks must report and the feedback they sent
// (docs/INDEXER.md describes every table; migrations/ holds the versioned
// schema, applied by Migrate).
//
// Exactly once: each block is written in one database transaction that
// also moves the one-row cursor (indexer_cursor) from height-1 to height,
// after checking, under a row lock, that the cursor stands at height-1 and
// that the block's parent is the cursor's block. A crash at any point
// leaves the tables at a whole block; a restart resumes after it; a second
// indexer on the same database waits for the lock and then finds the block
// written. So the tables are a function of the chain alone
// (docs/adr/0018-indexer.md), except the node-reported snapshots (accounts,
// balances, record_steps), which are the node's values when a block that
// touched them was written: never older than that block, and the node's
// current values once the indexer has caught up.
package indexer
