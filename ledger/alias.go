package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Alias returns the binding of an alias hash.
func (s *State) Alias(h common.Hash) (*chain.AliasBinding, bool) {
	b, ok := load[chain.AliasBinding](s, chain.AliasKey(h))
	if !ok {
		return nil, false
	}
	c := *b
	return &c, true
}

// setAlias stores a binding, or deletes it when b is nil.
func (s *State) setAlias(h common.Hash, b *chain.AliasBinding) {
	if b == nil {
		s.del(chain.AliasKey(h))
		return
	}
	s.put(chain.AliasKey(h), b)
}

// del deletes key: Changes writes it as a nil value.
func (s *State) del(key []byte) {
	s.objects[string(key)] = deleted{}
	s.dirty[string(key)] = true
}

// deleted marks a key deleted in this block; load reads it as absent.
type deleted struct{}

// applyBindAlias binds an alias to an account the sending bank services.
// One alias names one account at a time: binding it again by the same
// bank moves it; another bank's binding must be removed by that bank first.
func applyBindAlias(st *State, c txContext, b chain.BindAlias) error {
	bank := c.sender
	if _, ok := st.Bank(bank); !ok {
		return chain.Reject(chain.ErrNotBank, "%s is not a member bank", bank)
	}
	if b.Alias == (common.Hash{}) {
		return chain.Reject(chain.ErrMalformed, "alias hash is zero")
	}
	acct, ok := st.Account(b.Account)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "%s", b.Account)
	}
	if acct.Bank != bank {
		return chain.Reject(chain.ErrNotAuthorized, "%s is serviced by %s, not %s", b.Account, acct.Bank, bank)
	}
	if old, ok := st.Alias(b.Alias); ok && old.Bank != bank {
		return chain.Reject(chain.ErrAliasTaken, "the alias is bound by bank %s", old.Bank)
	}
	st.setAlias(b.Alias, &chain.AliasBinding{Account: b.Account, Bank: bank, Height: st.block.Height, Time: st.block.Time})
	st.emit(chain.Event{Kind: chain.EventAliasBound, Accounts: []common.Address{b.Account}, Bank: bank})
	return nil
}

// applyUnbindAlias removes a binding the sending bank made.
func applyUnbindAlias(st *State, c txContext, u chain.UnbindAlias) error {
	old, ok := st.Alias(u.Alias)
	if !ok {
		return chain.ErrAliasNotFound
	}
	if old.Bank != c.sender {
		return chain.Reject(chain.ErrNotAuthorized, "the alias is bound by bank %s", old.Bank)
	}
	st.setAlias(u.Alias, nil)
	st.emit(chain.Event{Kind: chain.EventAliasUnbound, Accounts: []common.Address{old.Account}, Bank: old.Bank})
	return nil
}

// Alias resolves an alias hash against the committed state.
func (l *Ledger) Alias(h common.Hash) (*chain.AliasBinding, bool, error) {
	st := l.State()
	b, ok := st.Alias(h)
	return b, ok, st.Err()
}
