package indexer

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// TestMovements is the table of what each event moves.
func TestMovements(t *testing.T) {
	payer, payee, other := common.Address{1}, common.Address{2}, common.Address{3}
	escrow := common.Hash{9}
	whole := func(id common.Hash) (uint64, error) {
		if id != escrow {
			return 0, fmt.Errorf("unknown escrow")
		}
		return 100, nil
	}
	ev := func(kind string, amount uint64, accounts ...common.Address) chain.Event {
		return chain.Event{Kind: kind, Record: escrow, Accounts: accounts, Asset: "CNY", Amount: amount}
	}
	type row struct {
		acct                    common.Address
		available, held, locked int64
	}
	for _, tc := range []struct {
		name string
		ev   chain.Event
		want []row
	}{
		{"transfer", ev(chain.EventTransfer, 5, payer, payee), []row{{payer, -5, 0, 0}, {payee, 5, 0, 0}}},
		{"transfer to oneself nets out", ev(chain.EventTransfer, 5, payer, payer), []row{{payer, 0, 0, 0}}},
		{"mint", ev(chain.EventMint, 7, payee), []row{{payee, 7, 0, 0}}},
		{"burn", ev(chain.EventBurn, 7, payer), []row{{payer, -7, 0, 0}}},
		{"withdrawal", ev(chain.EventWithdrawal, 3, payer), []row{{payer, -3, 0, 0}}},
		{"hold", ev(chain.EventEscrowOpened, 100, payer, payee), []row{{payer, -100, 100, 0}}},
		{"hold with arbiter", ev(chain.EventEscrowOpened, 100, payer, payee, other), []row{{payer, -100, 100, 0}}},
		{"full release", ev(chain.EventEscrowReleased, 100, payer, payee), []row{{payer, 0, -100, 0}, {payee, 0, 0, 100}}},
		{"partial release returns the rest", ev(chain.EventEscrowReleased, 60, payer, payee), []row{{payer, 40, -100, 0}, {payee, 0, 0, 60}}},
		{"refund", ev(chain.EventEscrowRefunded, 100, payer, payee), []row{{payer, 100, -100, 0}}},
		{"expiry", ev(chain.EventEscrowExpired, 100, payer, payee), []row{{payer, 100, -100, 0}}},
		{"feedback moves nothing", ev(chain.EventFeedbackMatched, 100, payer, payee), nil},
		{"request paid directly", func() chain.Event { e := ev(chain.EventRequestPaid, 5, payer, payee); e.Step = "direct"; return e }(), []row{{payer, -5, 0, 0}, {payee, 5, 0, 0}}},
		{"request paid into escrow (its escrow_opened moves)", func() chain.Event { e := ev(chain.EventRequestPaid, 5, payer, payee); e.Step = "escrow"; return e }(), nil},
		{"request opened moves nothing", ev(chain.EventRequestOpened, 5, payer, payee), nil},
		{"rejection moves nothing", ev(chain.EventRejected, 0, payer), nil},
	} {
		got, err := movements(tc.ev, whole)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d movements, want %d", tc.name, len(got), len(tc.want))
		}
		for i, w := range tc.want {
			g := got[i]
			if g.account != w.acct || g.asset != "CNY" || g.available.Int64() != w.available || g.held.Int64() != w.held || g.locked.Int64() != w.locked {
				t.Errorf("%s: movement %d = %s %s/%s/%s, want %v", tc.name, i, g.account, g.available, g.held, g.locked, w)
			}
		}
	}
	if _, err := movements(chain.Event{Kind: chain.EventEscrowReleased, Record: common.Hash{8}, Accounts: []common.Address{payer, payee}, Amount: 1}, whole); err == nil {
		t.Fatal("release of an escrow never opened accepted")
	}
}
