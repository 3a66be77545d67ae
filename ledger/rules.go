package ledger

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// applyBody runs the ledger rule for one transaction body whose sender has
// already been checked (signature, chain id, nonce). A rejection leaves the
// state untouched: every rule computes its new values first and writes them
// only when all checks pass.
//
// The one exception is feedback_mismatch: a bank's report that does not
// match is kept as evidence (the record is flagged), though no balance
// changes.
func applyBody(st *State, c txContext, body chain.Body) error {
	if err := precheck(st, c, body); err != nil {
		return err
	}
	d, isDebit := debitOf(st, body)
	undo := func() {}
	if isDebit {
		if err := checkPolicy(st, c, d); err != nil {
			if c.tx != nil && errors.Is(err, chain.ErrSupervisorApprovalNeeded) {
				return awaitApproval(st, c, d) // everything but the supervisor: the payment waits
			}
			return err
		}
		var err error
		if undo, err = drawFromMain(st, c, d); err != nil {
			return err
		}
	}
	if err := applyRule(st, c, body); err != nil {
		undo() // a sub-account's draw stands only with the purchase it paid
		return err
	}
	if isDebit {
		afterDebit(st, c.sender, d)
	}
	return nil
}

// applyRule runs the rule of body's type.
func applyRule(st *State, c txContext, body chain.Body) error {
	sender := c.sender
	switch b := body.(type) {
	case chain.Transfer:
		return applyTransfer(st, sender, b)
	case chain.Mint:
		return applyMint(st, sender, b)
	case chain.Burn:
		return applyBurn(st, sender, b)
	case chain.RegisterAccount:
		return applyRegister(st, sender, b)
	case chain.Hold:
		return applyHold(st, c, b)
	case chain.Release:
		return applyRelease(st, c, b)
	case chain.Refund:
		return applyRefund(st, c, b)
	case chain.SetWithdrawalKey:
		return applySetWithdrawalKey(st, c, b)
	case chain.Withdraw:
		return applyWithdraw(st, c, b)
	case chain.Feedback:
		return applyFeedback(st, c, b)
	case chain.Evidence:
		return applyEvidence(st, c, b)
	case chain.CommitHashChain:
		return applyCommitHashChain(st, c, b)
	case chain.BindAlias:
		return applyBindAlias(st, c, b)
	case chain.UnbindAlias:
		return applyUnbindAlias(st, c, b)
	case chain.PaymentRequest:
		return applyRequest(st, c, b)
	case chain.Accept:
		return applyAccept(st, c, b)
	case chain.Decline:
		return applyDecline(st, c, b)
	case chain.CancelRequest:
		return applyCancelRequest(st, c, b)
	case chain.SetPolicy:
		return applySetPolicy(st, c, b)
	case chain.ApprovePayment:
		return applyApprovePayment(st, c, b)
	case chain.RejectPayment:
		return applyRejectPayment(st, c, b)
	case chain.RecallPayment:
		return applyRecallPayment(st, c, b)
	case chain.CreateSubAccount:
		return applyCreateSubAccount(st, c, b)
	case chain.SetSubAccount:
		return applySetSubAccount(st, c, b)
	case chain.FreezeSubAccount:
		return applyFreezeSubAccount(st, c, b)
	case chain.CloseSubAccount:
		return applyCloseSubAccount(st, c, b)
	case chain.GovPropose:
		return applyGovPropose(st, c, b)
	case chain.GovVote:
		return applyGovVote(st, c, b)
	case chain.ProposalEvidence:
		return applyProposalEvidence(st, c, b)
	}
	return chain.Reject(chain.ErrUnknownType, "%T", body)
}

// txContext is what a rule knows about the transaction it runs for.
type txContext struct {
	chainID   string
	hash      common.Hash      // the record number: escrow and payout ids
	sender    common.Address   // first signer
	cosigner  *common.Address  // second signer, if any (the withdrawal key)
	cosigners []common.Address // every signer after the sender (policy co-signers)
	// tx is the transaction itself; nil when a waiting payment runs on its
	// supervisor's approval, which cannot wait again.
	tx *chain.Tx
}

func applyTransfer(st *State, from common.Address, t chain.Transfer) error {
	src, _ := st.Account(from)
	dst, ok := st.Account(t.To)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "recipient %s", t.To)
	}
	if err := moveAvailable(src, dst, t.Asset, t.Amount); err != nil {
		return err
	}
	st.SetAccount(from, src)
	st.SetAccount(t.To, dst)
	return nil
}

// moveAvailable debits src and credits dst in memory, or changes neither.
func moveAvailable(src, dst *chain.Account, asset string, amount uint64) error {
	db := dst.Balance(asset)
	sb, err := debitAvailable(src, asset, amount)
	if err != nil {
		return err
	}
	if db.Available, err = addAmount(db.Available, amount); err != nil {
		return err
	}
	src.SetBalance(sb)
	dst.SetBalance(db)
	return nil
}

func applyMint(st *State, bank common.Address, m chain.Mint) error {
	asset, _ := st.Asset(m.Asset)
	dst, ok := st.Account(m.To)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "recipient %s", m.To)
	}
	if dst.Bank != bank {
		return chain.Reject(chain.ErrNotAuthorized, "%s is serviced by %s, not by the minting bank", m.To, dst.Bank)
	}
	bal := dst.Balance(m.Asset)
	var err error
	if bal.Available, err = addAmount(bal.Available, m.Amount); err != nil {
		return err
	}
	if asset.Minted, err = addAmount(asset.Minted, m.Amount); err != nil {
		return err
	}
	dst.SetBalance(bal)
	st.SetAccount(m.To, dst)
	st.SetAsset(asset)
	return nil
}

func applyBurn(st *State, bank common.Address, b chain.Burn) error {
	asset, _ := st.Asset(b.Asset)
	acct, _ := st.Account(bank)
	bal, err := debitAvailable(acct, b.Asset, b.Amount)
	if err != nil {
		return err
	}
	if asset.Burned, err = addAmount(asset.Burned, b.Amount); err != nil {
		return err
	}
	acct.SetBalance(bal)
	st.SetAccount(bank, acct)
	st.SetAsset(asset)
	return nil
}

func applyRegister(st *State, bank common.Address, r chain.RegisterAccount) error {
	if _, exists := st.Account(r.Account); exists {
		return chain.Reject(chain.ErrAccountExists, "%s", r.Account)
	}
	st.SetAccount(r.Account, &chain.Account{Bank: bank})
	return nil
}
