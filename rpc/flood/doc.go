// Package flood drives the two floods an RPC server must survive — many
// subscriptions on one WebSocket connection, and many TCP connections —
// and reports how the server answered. The rpc and node tests use it
// against a server on loopback; it dials only the address it is given.
package flood
