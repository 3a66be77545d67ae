package audit

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// finish completes the report: the stored state (data dir), each bank's
// reconciliation and the supply at the last verified block, and the tallies.
func (a *auditor) finish() error {
	rep := a.rep
	if a.inv != nil { // the genesis opened
		if a.stored != nil && len(rep.Findings) == 0 {
			if err := a.compareStoredState(); err != nil && err != errStop {
				return err
			}
		}
		if err := a.reconcile(); err != nil {
			return err
		}
		for _, sym := range slices.Sorted(maps.Keys(a.inv.assets)) {
			info := a.inv.assets[sym]
			rep.Supply = append(rep.Supply, AssetSupply{Asset: sym, Minted: info.Minted, Burned: info.Burned, Outstanding: a.inv.held[sym]})
		}
		genesis := map[common.Address]bool{}
		for _, v := range a.g.Validators {
			genesis[v.Address] = true
			rep.Validators = append(rep.Validators, *a.vstats[v.Address])
		}
		for _, v := range slices.SortedFunc(maps.Keys(a.vstats), func(x, y common.Address) int { return x.Cmp(y) }) {
			if !genesis[v] { // validators added by governance, after the genesis ones
				rep.Validators = append(rep.Validators, *a.vstats[v])
			}
		}
	}
	if len(rep.KeyPath) > keyPathLength {
		rep.KeyPath = rep.KeyPath[len(rep.KeyPath)-keyPathLength:]
	}
	rep.Checks = a.checks.list()
	rep.Passed = len(rep.Findings) == 0
	if f := rep.First(); f != nil {
		rep.Stopped = fmt.Sprintf("nothing after height %d can be verified once %s fails", f.Height, f.Rule)
	}
	rep.Seconds = time.Since(a.start).Seconds()
	if rep.Seconds > 0 {
		rep.TxPerSec = float64(rep.Chain.Txs) / rep.Seconds
	}
	return nil
}

// compareStoredState walks the data dir's flat state and the re-executed
// one side by side: any entry that differs, or is only on one side, is a
// finding naming its key. The re-executed state is the one the headers'
// state roots commit to, so this catches an edit of the stored state that
// the node would serve (balances, escrows) without any header changing.
func (a *auditor) compareStoredState() error {
	height := a.prev.Height
	if head, ok, err := a.stored.Head(); err != nil || !ok || head != height {
		return a.fail(RuleStoredState, height, nil, "the data dir's head is %d, the audit verified to %d (%v)", head, height, err)
	}
	type entry struct{ k, v []byte }
	mine := make(chan entry, 256)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(mine)
		a.l.DB().ScanState(func(k, v []byte) error {
			select {
			case mine <- entry{bytes.Clone(k), bytes.Clone(v)}:
				return nil
			case <-done:
				return errStop
			}
		})
	}()
	var n uint64
	next, more := <-mine
	err := a.stored.ScanState(func(k, v []byte) error {
		if more && bytes.Compare(next.k, k) < 0 {
			return a.fail(RuleStoredState, height, nil, "%s is in the re-executed state but missing from the data dir", describeKey(next.k))
		}
		if !more || !bytes.Equal(next.k, k) {
			return a.fail(RuleStoredState, height, nil, "the data dir holds %s, which re-execution never wrote", describeKey(k))
		}
		if !bytes.Equal(next.v, v) {
			return a.fail(RuleStoredState, height, nil, "%s in the data dir differs from the re-executed value%s", describeKey(k), describeDiff(k, v, next.v))
		}
		n++
		next, more = <-mine
		return nil
	})
	if err != nil {
		return err
	}
	if more {
		return a.fail(RuleStoredState, height, nil, "%s is in the re-executed state but missing from the data dir", describeKey(next.k))
	}
	a.checks.pass(RuleStoredState, n)
	return nil
}

func describeKey(k []byte) string {
	if len(k) == 0 {
		return "empty key"
	}
	switch k[0] {
	case chain.PrefixAccount:
		return "account " + common.BytesToAddress(k[1:]).Hex()
	case chain.PrefixEscrow:
		return "escrow " + common.BytesToHash(k[1:]).Hex()
	case chain.PrefixPayout:
		return "payout " + common.BytesToHash(k[1:]).Hex()
	case chain.PrefixAsset:
		return "asset " + string(k[1:])
	case chain.PrefixBank:
		return "bank " + common.BytesToAddress(k[1:]).Hex()
	case chain.PrefixValidator:
		return "validator " + common.BytesToAddress(k[1:]).Hex()
	case chain.PrefixRequest:
		return "payment request " + common.BytesToHash(k[1:]).Hex()
	case chain.PrefixAlias:
		return "alias " + common.BytesToHash(k[1:]).Hex()
	}
	return fmt.Sprintf("state key %x", k)
}

// describeDiff says how an account's balances differ.
func describeDiff(k, stored, mine []byte) string {
	if k[0] != chain.PrefixAccount {
		return ""
	}
	var s, m chain.Account
	if rlp.DecodeBytes(stored, &s) != nil || rlp.DecodeBytes(mine, &m) != nil {
		return ""
	}
	return fmt.Sprintf(": stored balances %v, re-executed %v", s.Balances, m.Balances)
}

// reconcile sorts every escrow and payout by where its bank's feedback
// stands at the last verified block time, per bank; feedback that named no
// record counts as mismatched for the bank that sent it.
func (a *auditor) reconcile() error {
	now := a.prev.Time
	banks := map[common.Address]*BankStats{}
	for _, b := range a.g.Banks {
		banks[b.Address] = &BankStats{Bank: b.Address, Name: b.Name}
	}
	count := func(rec chain.BankRecord) {
		t := rec.Track()
		s, ok := banks[t.Bank]
		if !ok {
			s = &BankStats{Bank: t.Bank}
			banks[t.Bank] = s
		}
		switch rec.Status(now) {
		case chain.BankMatched:
			s.Matched++
		case chain.BankWaiting:
			s.Waiting++
		case chain.BankOverdue:
			s.Overdue++
		case chain.BankMismatch:
			s.Mismatched++
		}
	}
	err := a.l.DB().ScanState(func(k, v []byte) error {
		switch k[0] {
		case chain.PrefixEscrow:
			e := new(chain.Escrow)
			if err := rlp.DecodeBytes(v, e); err != nil {
				return fmt.Errorf("escrow %x: %w", k, err)
			}
			count(chain.BankRecord{Escrow: e})
		case chain.PrefixPayout:
			p := new(chain.Payout)
			if err := rlp.DecodeBytes(v, p); err != nil {
				return fmt.Errorf("payout %x: %w", k, err)
			}
			count(chain.BankRecord{Payout: p})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for bank, n := range a.excepts {
		if s, ok := banks[bank]; ok {
			s.Mismatched += n
		}
	}
	for _, b := range a.g.Banks {
		a.rep.Banks = append(a.rep.Banks, *banks[b.Address])
	}
	return nil
}
