package node

import "github.com/sovereign-ledger/sovereign/rpc"

// EscrowLedger serves the RPC escrow, payout, bank and reconciliation
// queries straight from the committed ledger.
func (b backend) EscrowLedger() rpc.EscrowReader { return b.n.ledger }

var _ rpc.EscrowBackend = backend{}
