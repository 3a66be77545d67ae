// Package explorer is the chain explorer: a web page shipped inside the
// binary (plain HTML, CSS and an ES module under static/, embedded; no build
// step) and the small HTTP handler that serves it.
//
// The page reads everything over the node's JSON-RPC: HTTP POST for queries
// and the WebSocket "newFinalBlocks" subscription for live updates. It never
// talks to the node directly; the handler forwards its calls (rpc for HTTP,
// ws for WebSocket) to the node's RPC URL, passing only the read-only
// methods in allowedMethods and, when account pages are hidden from
// anonymous visitors, none of the methods that reveal an account
// (accountMethods). So the explorer can be bound to its own address and
// shown to people who must not reach the node's RPC (docs/EXPLORER.md,
// docs/adr/0017-explorer.md).
//
// The node mounts Handler at /explorer on its RPC address or on
// --explorer.addr; `sovereign explorer --rpc URL` serves it alone.
package explorer
