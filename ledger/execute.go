package ledger

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// ApplyTx checks a transaction's envelope against state (chain id,
// signatures, sender account, nonce) and then runs its ledger rule. An error
// means the transaction cannot be in a block at all; a ledger rejection is
// not an error but a receipt carrying the code, with the nonce spent.
func ApplyTx(st *State, chainID string, tx *chain.Tx) (*chain.Receipt, error) {
	c, acct, err := checkEnvelope(st, chainID, tx)
	if err != nil {
		return nil, err
	}
	sender := c.sender
	if tx.Nonce() != acct.Nonce {
		return nil, chain.Reject(chain.ErrBadNonce, "sender %s nonce %d, transaction has %d", sender, acct.Nonce, tx.Nonce())
	}
	acct.Nonce++
	st.SetAccount(sender, acct)
	recordBankKey(st, sender, tx)
	rec := &chain.Receipt{TxHash: c.hash}
	st.takeEvents()
	if err := applyBody(st, c, tx.Body()); err != nil {
		rec.Code = chain.CodeOf(err)
	}
	rec.Events = st.takeEvents()
	return rec, st.Err()
}

// RecoverSigners recovers every transaction's signers across all cores.
// Transactions recovered before (by the txpool) cost nothing here: the
// result is cached in the *Tx.
func RecoverSigners(txs []*chain.Tx) { recoverAhead(txs).wait(len(txs) - 1) }

// signerRecovery recovers a block's signers in the background, in order,
// so that applying transaction i can start as soon as i is recovered instead
// of after the whole block: the ledger rules then run while the other cores
// still recover, and the block costs about the recovery alone.
type signerRecovery struct {
	txs  []*chain.Tx
	next atomic.Int64 // next index to claim
	done []atomic.Bool
}

func recoverAhead(txs []*chain.Tx) *signerRecovery {
	r := &signerRecovery{txs: txs, done: make([]atomic.Bool, len(txs))}
	workers := min(runtime.GOMAXPROCS(0), len(txs)/64+1)
	for w := 0; w < workers; w++ {
		go r.work()
	}
	return r
}

func (r *signerRecovery) work() {
	for {
		i := int(r.next.Add(1) - 1)
		if i >= len(r.txs) {
			return
		}
		_, _ = r.txs[i].Signers() // errors surface again, cached, in ApplyTx
		r.done[i].Store(true)
	}
}

// wait returns once transactions 0..i are recovered, helping with the work
// rather than idling.
func (r *signerRecovery) wait(i int) {
	for i >= 0 && i < len(r.done) && !r.done[i].Load() {
		if j := int(r.next.Add(1) - 1); j < len(r.txs) {
			_, _ = r.txs[j].Signers()
			r.done[j].Store(true)
		} else {
			runtime.Gosched()
		}
	}
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
		if crypto.Keccak256Hash(reveal[:]) != vstate.LastReveal {
			return fmt.Errorf("reveal %s does not hash to %s's last reveal %s", reveal, proposer, vstate.LastReveal)
		}
		vstate.Reveals++
	case vstate.NextTip == (common.Hash{}):
		return fmt.Errorf("%s's hash chain is spent and it committed no next chain", proposer)
	default:
		// The current chain is spent: the first reveal of the committed next
		// chain is the only valid one, so the switch gives no choice either.
		if crypto.Keccak256Hash(reveal[:]) != vstate.NextTip {
			return fmt.Errorf("reveal %s does not hash to %s's next chain tip %s", reveal, proposer, vstate.NextTip)
		}
		vstate.Reveals, vstate.Length = 1, vstate.NextLength
		vstate.NextTip, vstate.NextLength = common.Hash{}, 0
	}
	vstate.LastReveal = reveal
	st.SetValidator(proposer, vstate)
	st.SetSeed(chain.NextSeed(st.Seed(), reveal))
	return nil
}
