// Package rpc is Sovereign's client edge: a JSON-RPC 2.0 service under the
// "sov" namespace (sov_sendRawTransaction, sov_getTransaction,
// sov_getBlockByNumber, sov_getAccount, sov_getProof, sov_chainInfo,
// sov_genesis, sov_waitTransaction, the escrow queries sov_getEscrow,
// sov_listEscrows, sov_getPayout, sov_listPayouts, sov_reconciliation and
// sov_getBank, and the sov_subscribe "newFinalBlocks" and "accountEvents"
// subscriptions), served over HTTP and WebSocket on one address by
// go-ethereum's rpc package.
//
// The service reads the node through the narrow Backend interface defined
// here; node implements it, and node/nodetest runs the same implementation over the in-memory store.
//
// JSON exists only at this edge: field names are snake_case, hashes and
// addresses 0x-hex, amounts decimal strings in the asset's units (with the raw
// minor units beside them as decimal strings). docs/RPC.md is the reference.
//
// Errors carry a stable numeric code (see errors.go) and a data object whose
// "code" member is a stable string: a ledger rejection code such as
// "insufficient_funds", or one of "tx_not_found", "block_not_found",
// "escrow_not_found", "payout_not_found", "bank_not_found", "method_not_supported",
// "account_not_found", "before_snapshot", "invalid_params", "invalid_request",
// "request_too_large", "internal", and those of the edge: "rate_limited",
// "too_many_subscriptions", "too_many_connections", "origin_not_allowed",
// "unauthorized", "forbidden".
//
// The edge: limits.go bounds connections, subscriptions, the call rate and
// slow writers; auth.go verifies HS256 bearer tokens; access.go maps every
// method to the roles that may call it and the argument naming its subject;
// guard.go is the service actually registered, asking both before each call
// (docs/adr/0020-rpc-access-control.md, 0021-rpc-resource-limits.md).
package rpc
