// Package wallet is the Go client a wallet or merchant app uses to talk to
// a Sovereign node: keys in Ethereum keystore v3 files (NewAccount, List,
// Unlock, ImportKey), transaction builders that take decimal amounts and sign
// (SignTx, TransferBody, Client.Transfer, Mint, Burn, RegisterAccount), a
// typed JSON-RPC client over HTTP or WebSocket (Dial) whose errors are
// *RPCError with the node's stable string code, WaitFinal to follow a
// transaction to finality, and proof verification (VerifyAccountProof,
// Client.ProveAccount) that checks an account against a final header's
// state root without trusting the node. Account policies (policy.go):
// co-signatures on everything a client submits (SetCosigners,
// WithCosigners), transaction files for co-signers elsewhere (WriteTxFile,
// CosignTx, ReadTxFile), supervisor approvals and purchase sub-accounts.
//
// The sovereign CLI's wallet and tx commands are thin wrappers over it.
package wallet
