package chain

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// ApplyTx checks a transaction's envelope against state (chain id,
// signatures, sender account, nonce) and then runs its ledger rule. An error
// means the transaction cannot be in a block at all; a ledger rejection is
// not an error but a receipt carrying the code, with the nonce spent.
func ApplyTx(st *State, chainID string, tx *Tx) (*Receipt, error) {
	if tx.ChainID() != chainID {
		return nil, reject(ErrWrongChain, "transaction is for chain %q, this is %q", tx.ChainID(), chainID)
	}
	signers, err := tx.Signers()
	if err != nil {
		return nil, err
	}
	if n := maxSigs(tx.Type()); len(signers) > n {
		return nil, reject(ErrBadSignature, "%s takes at most %d signatures, has %d", tx.Type(), n, len(signers))
	}
	sender := signers[0]
	c := txContext{chainID: chainID, hash: tx.Hash(), sender: sender}
	if len(signers) == 2 {
		if signers[1] == sender {
			return nil, reject(ErrBadSignature, "the sender signed twice")
		}
		c.cosigner = &signers[1]
	}
	acct, ok := st.Account(sender)
	if !ok {
		return nil, reject(ErrUnknownAccount, "sender %s is not registered", sender)
	}
	if tx.Nonce() != acct.Nonce {
		return nil, reject(ErrBadNonce, "sender %s nonce %d, transaction has %d", sender, acct.Nonce, tx.Nonce())
	}
	acct.Nonce++
	st.SetAccount(sender, acct)
	recordBankKey(st, sender, tx)
	rec := &Receipt{TxHash: c.hash}
	st.takeEvents()
	if err := applyBody(st, c, tx.Body()); err != nil {
		rec.Code = CodeOf(err)
	}
	rec.Events = st.takeEvents()
	return rec, st.Err()
}

// RecoverSigners recovers every transaction's signers across all cores.
// Transactions recovered before (by the txpool) cost nothing here: the
// result is cached in the *Tx.
func RecoverSigners(txs []*Tx) {
	workers := runtime.GOMAXPROCS(0)
	if workers > len(txs)/64+1 {
		workers = len(txs)/64 + 1
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(txs); i += workers {
				_, _ = txs[i].Signers() // errors surface again, cached, in ApplyTx
			}
		}(w)
	}
	wg.Wait()
}

// checkReveal verifies the proposer's hash-chain reveal against the last one
// it published and records it, then advances the sovereign-key seed. The
// proposer has exactly one valid reveal, so it cannot grind the next holder.
func checkReveal(st *State, proposer common.Address, reveal common.Hash) error {
	vstate, ok := st.Validator(proposer)
	if !ok {
		return fmt.Errorf("proposer %s has no reveal state", proposer)
	}
	switch {
	case !vstate.Spent():
		if keccak(reveal[:]) != vstate.LastReveal {
			return fmt.Errorf("reveal %s does not hash to %s's last reveal %s", reveal, proposer, vstate.LastReveal)
		}
		vstate.Reveals++
	case vstate.NextTip == (common.Hash{}):
		return fmt.Errorf("%s's hash chain is spent and it committed no next chain", proposer)
	default:
		// The current chain is spent: the first reveal of the committed next
		// chain is the only valid one, so the switch gives no choice either.
		if keccak(reveal[:]) != vstate.NextTip {
			return fmt.Errorf("reveal %s does not hash to %s's next chain tip %s", reveal, proposer, vstate.NextTip)
		}
		vstate.Reveals, vstate.Length = 1, vstate.NextLength
		vstate.NextTip, vstate.NextLength = common.Hash{}, 0
	}
	vstate.LastReveal = reveal
	st.SetValidator(proposer, vstate)
	st.SetSeed(NextSeed(st.Seed(), reveal))
	return nil
}
