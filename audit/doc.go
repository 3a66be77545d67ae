// Package audit verifies a chain from its genesis without trusting any
// validator: header links, the sovereign-key holder of every block from the
// seed, the reveal chain, every certificate against the validator set in
// force at its height, every transaction signature, re-execution of every
// block with the ledger's own rules into a fresh in-memory state (receipts
// and state roots), invariants after every block (supply, balances, escrows
// ending once, locked funds), evidence, and each member bank's
// reconciliation. Blocks stream through a pipeline (read, recover signers
// on every core, execute in order), so memory follows the state, not the
// chain. What it checks and what trust remains: docs/AUDIT.md.
package audit
