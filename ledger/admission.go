package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// CheckAdmission judges a transaction before any block: it runs exactly
// the checks that ApplyTx runs first, against st (the pool's view of the
// committed state), so that a transaction pool refuses with the ledger's
// own code what a block would drop or reject (docs/adr/0031-admission-is-the-ledger-check.md):
//
//   - the envelope (checkEnvelope): size, chain id, signatures (no more
//     than the type takes, no signer twice), a registered sender;
//   - the rule's precheck (precheck): what the transaction says and what
//     no transaction can change: amounts, known assets, the sender's
//     standing as issuer, bank or validator, payout details' form.
//
// It reads nothing a pending transaction could change but the sender's
// registration, so its verdict does not go stale while the transaction
// waits. Nonces and balances the pool checks itself, against its queues.
func CheckAdmission(st *State, chainID string, tx *chain.Tx) error {
	c, _, err := checkEnvelope(st, chainID, tx)
	if err != nil {
		return err
	}
	if err := precheck(st, c, tx.Body()); err != nil {
		return err
	}
	return st.Err()
}

// checkEnvelope checks what makes a transaction includable at all, nonce
// aside: an error here means no block may carry it. chain.CheckEnvelope
// (size, chain id, signature count) first, then the signers: no signer
// twice, a registered sender. It returns the transaction's context and the
// sender's account.
func checkEnvelope(st *State, chainID string, tx *chain.Tx) (txContext, *chain.Account, error) {
	if err := chain.CheckEnvelope(tx, chainID); err != nil {
		return txContext{}, nil, err
	}
	signers, err := tx.Signers()
	if err != nil {
		return txContext{}, nil, err
	}
	sender := signers[0]
	c := txContext{chainID: chainID, hash: tx.Hash(), sender: sender, tx: tx}
	for i := 1; i < len(signers); i++ {
		for j := 0; j < i; j++ {
			if signers[i] == signers[j] {
				if j == 0 {
					return txContext{}, nil, chain.Reject(chain.ErrBadSignature, "the sender signed twice")
				}
				return txContext{}, nil, chain.Reject(chain.ErrBadSignature, "co-signer %s signed twice", signers[i])
			}
		}
	}
	if len(signers) > 1 {
		c.cosigner, c.cosigners = &signers[1], signers[1:]
	}
	acct, ok := st.Account(sender)
	if !ok {
		return txContext{}, nil, chain.Reject(chain.ErrUnknownAccount, "sender %s is not registered", sender)
	}
	return c, acct, nil
}

// precheck is the first part of each rule: the checks that depend only on
// the transaction and on state fixed at genesis (assets and their issuers,
// member banks, validators). applyBody runs it before the rule itself, and
// CheckAdmission runs it at the pool, so the two cannot disagree. The order
// of checks within a type is the rule's: a transaction failing two gets
// the same code from either.
func precheck(st *State, c txContext, body chain.Body) error {
	switch b := body.(type) {
	case chain.Transfer:
		if err := checkAmount(b.Amount); err != nil {
			return err
		}
		if b.To == c.sender {
			return chain.ErrSelfTransfer
		}
		return checkAsset(st, b.Asset)
	case chain.Mint:
		return checkIssuer(st, c.sender, b.Asset, b.Amount)
	case chain.Burn:
		return checkIssuer(st, c.sender, b.Asset, b.Amount)
	case chain.RegisterAccount:
		if err := checkBank(st, c.sender); err != nil {
			return err
		}
		if b.Account == (common.Address{}) {
			return chain.Reject(chain.ErrMalformed, "account address is zero")
		}
	case chain.Hold:
		if err := checkAmount(b.Amount); err != nil {
			return err
		}
		if err := checkAsset(st, b.Asset); err != nil {
			return err
		}
		if b.Payee == c.sender {
			return chain.Reject(chain.ErrSelfTransfer, "payee is the payer")
		}
	case chain.SetWithdrawalKey:
		if b.Key == c.sender {
			return chain.Reject(chain.ErrMalformed, "the withdrawal key must differ from the account key")
		}
	case chain.Withdraw:
		if err := checkAmount(b.Amount); err != nil {
			return err
		}
		if err := checkAsset(st, b.Asset); err != nil {
			return err
		}
		return chain.CheckPayoutDetails(b.Details)
	case chain.Feedback:
		if err := checkBank(st, c.sender); err != nil {
			return err
		}
		if !b.Kind.Known() {
			return chain.Reject(chain.ErrMalformed, "feedback kind %d", b.Kind)
		}
		if b.Ref == "" || len(b.Ref) > chain.MaxBankRefLen {
			return chain.Reject(chain.ErrMalformed, "bank reference must be 1-%d bytes", chain.MaxBankRefLen)
		}
	case chain.SetPolicy:
		return precheckSetPolicy(st, b)
	case chain.GovPropose, chain.GovVote:
		return precheckGovernance(st, c, body)
	case chain.CreateSubAccount:
		if b.Sub == (common.Address{}) || b.Sub == b.Main {
			return chain.Reject(chain.ErrMalformed, "the sub-account address must be new and not zero")
		}
		return precheckSubTerms(st, b.Terms)
	case chain.SetSubAccount:
		return precheckSubTerms(st, b.Terms)
	case chain.CommitHashChain:
		if _, ok := st.Validator(c.sender); !ok {
			return chain.Reject(chain.ErrNotValidator, "%s", c.sender)
		}
		if b.Tip == (common.Hash{}) || b.Length == 0 {
			return chain.Reject(chain.ErrMalformed, "next hash chain needs a tip and a positive length")
		}
	}
	return nil
}

func checkAmount(amount uint64) error {
	if amount == 0 {
		return chain.ErrZeroAmount
	}
	return nil
}

func checkAsset(st *State, symbol string) error {
	if _, ok := st.Asset(symbol); !ok {
		return chain.Reject(chain.ErrUnknownAsset, "%q", symbol)
	}
	return nil
}

// checkIssuer is the precheck of mint and burn: a positive amount of a
// known asset, by one of its issuers.
func checkIssuer(st *State, bank common.Address, symbol string, amount uint64) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	if err := checkAsset(st, symbol); err != nil {
		return err
	}
	if asset, _ := st.Asset(symbol); !asset.IsIssuer(bank) {
		return chain.Reject(chain.ErrNotIssuer, "%s does not issue %s", bank, symbol)
	}
	return nil
}

func checkBank(st *State, a common.Address) error {
	if _, ok := st.Bank(a); !ok {
		return chain.Reject(chain.ErrNotBank, "%s is not a member bank", a)
	}
	return nil
}
