package node

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// ownTxs sends transactions from this validator's own account (evidence,
// hash-chain commitments), keeping its nonces in order while earlier ones
// still wait in the pool. Only the driver goroutine uses it.
type ownTxs struct {
	ledger    *ledger.Ledger
	chainID   string
	key       *ecdsa.PrivateKey
	self      common.Address
	submit    func(*chain.Tx) error // admission, as for an RPC client (pool, then gossip)
	nextNonce uint64
}

// send signs body with the validator key and submits it.
func (o *ownTxs) send(body chain.Body) (common.Hash, error) {
	acct, ok, err := o.ledger.Account(o.self)
	if err != nil {
		return common.Hash{}, err
	}
	if !ok {
		return common.Hash{}, fmt.Errorf("validator %s has no account", o.self)
	}
	nonce := max(acct.Nonce, o.nextNonce)
	tx := chain.NewTx(o.chainID, nonce, body)
	if err := tx.Sign(o.key); err != nil {
		return common.Hash{}, err
	}
	if err := o.submit(tx); err != nil {
		return tx.Hash(), err
	}
	o.nextNonce = nonce + 1
	return tx.Hash(), nil
}
