package node

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// ownTxs sends transactions from this validator's own account (evidence,
// hash-chain commitments), keeping its nonces in order while earlier ones
// still wait in the pool. Only the driver goroutine uses it.
type ownTxs struct {
	n         *Node
	nextNonce uint64
}

// send signs body with the validator key and submits it like an RPC client
// would (pool, then gossip).
func (o *ownTxs) send(body chain.Body) (common.Hash, error) {
	acct, ok, err := o.n.ledger.Account(*o.n.self)
	if err != nil {
		return common.Hash{}, err
	}
	if !ok {
		return common.Hash{}, fmt.Errorf("validator %s has no account", *o.n.self)
	}
	nonce := max(acct.Nonce, o.nextNonce)
	tx := chain.NewTx(o.n.cfg.Genesis.ChainID, nonce, body)
	if err := tx.Sign(o.n.cfg.Key); err != nil {
		return common.Hash{}, err
	}
	if err := o.n.backend.submit(tx); err != nil {
		return tx.Hash(), err
	}
	o.nextNonce = nonce + 1
	return tx.Hash(), nil
}
