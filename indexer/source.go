package indexer

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// source reads the chain from a node's JSON-RPC.
type source struct{ c *gethrpc.Client }

// maxBatch is the node's limit of calls per JSON-RPC batch.
const maxBatch = rpc.DefaultBatchItems

func (s source) chainInfo(ctx context.Context) (*rpc.ChainInfo, error) {
	var out rpc.ChainInfo
	return &out, s.c.CallContext(ctx, &out, "sov_chainInfo")
}

func (s source) genesis(ctx context.Context) (*chain.Genesis, error) {
	var out chain.Genesis
	return &out, s.c.CallContext(ctx, &out, "sov_genesis")
}

// fetched is one final block as the indexer writes it: the node's JSON,
// the block and receipts rebuilt from it, their events, and the node's
// current view of what the block touched.
type fetched struct {
	rb       *rpc.Block
	block    *chain.Block
	receipts []*chain.Receipt
	notices  []chain.Notice
	accounts map[common.Address]*rpc.Account // touched accounts that exist
	escrows  map[common.Hash]*rpc.Escrow     // touched escrows
	payouts  map[common.Hash]*rpc.Payout     // touched payouts
}

// fetch reads block h with its transactions and receipts, derives its
// events with chain.BlockNotices (the function subscriptions and webhooks
// use), then reads the accounts and records they touch.
// Block 0 reads the accounts in extra (the genesis accounts and validators).
func (s source) fetch(ctx context.Context, h uint64, extra []common.Address) (*fetched, error) {
	var rb rpc.Block
	if err := s.c.CallContext(ctx, &rb, "sov_getBlockByNumber", h, true); err != nil {
		return nil, fmt.Errorf("block %d: %w", h, err)
	}
	f := &fetched{rb: &rb, block: &chain.Block{Header: new(chain.Header)}}
	if err := rlp.DecodeBytes(rb.RLP, f.block.Header); err != nil {
		return nil, fmt.Errorf("block %d header: %w", h, err)
	}
	if f.block.Header.Hash() != rb.Hash || f.block.Header.Height != h {
		return nil, fmt.Errorf("block %d: the header's encoding does not match its hash %s", h, rb.Hash)
	}
	for i, t := range rb.FullTxs {
		tx, err := chain.DecodeTx(t.Raw)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", h, i, err)
		}
		f.block.Txs = append(f.block.Txs, tx)
	}
	for _, r := range rb.Receipts {
		f.receipts = append(f.receipts, receiptOf(r))
	}
	f.notices = chain.BlockNotices(f.block, f.receipts)
	var err error
	if f.accounts, err = s.touchedAccounts(ctx, f, extra); err != nil {
		return nil, fmt.Errorf("block %d accounts: %w", h, err)
	}
	if f.escrows, f.payouts, err = s.touchedRecords(ctx, f); err != nil {
		return nil, fmt.Errorf("block %d records: %w", h, err)
	}
	return f, nil
}

func receiptOf(r rpc.Receipt) *chain.Receipt {
	out := &chain.Receipt{TxHash: r.TxHash, Code: r.Code}
	for _, e := range r.Events {
		ce := chain.Event{Kind: e.Kind, Accounts: e.Accounts, Asset: e.Asset, At: e.At, Step: e.Step, Ref: e.Ref, Reason: e.Reason}
		if e.Record != nil {
			ce.Record = *e.Record
		}
		if e.Bank != nil {
			ce.Bank = *e.Bank
		}
		if e.AmountUnits != nil {
			ce.Amount = *e.AmountUnits
		}
		out.Events = append(out.Events, ce)
	}
	return out
}

// touchedAccounts reads every account a block's transactions sent from or
// its events name.
func (s source) touchedAccounts(ctx context.Context, f *fetched, extra []common.Address) (map[common.Address]*rpc.Account, error) {
	seen := map[common.Address]bool{}
	var addrs []common.Address
	add := func(a common.Address) {
		if a != (common.Address{}) && !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	for _, a := range extra {
		add(a)
	}
	for _, t := range f.rb.FullTxs {
		if t.Sender != nil {
			add(*t.Sender)
		}
	}
	for _, n := range f.notices {
		for _, a := range n.Event.Accounts {
			add(a)
		}
	}
	return s.accounts(ctx, addrs)
}

// accounts reads accounts in batches; those that do not exist are left out.
func (s source) accounts(ctx context.Context, addrs []common.Address) (map[common.Address]*rpc.Account, error) {
	out := make(map[common.Address]*rpc.Account, len(addrs))
	got := make([]rpc.Account, len(addrs))
	elems := make([]gethrpc.BatchElem, len(addrs))
	for i, a := range addrs {
		elems[i] = gethrpc.BatchElem{Method: "sov_getAccount", Args: []any{a}, Result: &got[i]}
	}
	if err := s.batch(ctx, elems); err != nil {
		return nil, err
	}
	for i, e := range elems {
		if notFound(e.Error) {
			continue
		}
		if e.Error != nil {
			return nil, fmt.Errorf("account %s: %w", addrs[i], e.Error)
		}
		out[addrs[i]] = &got[i]
	}
	return out, nil
}

// touchedRecords reads the escrows and payouts a block's events name.
func (s source) touchedRecords(ctx context.Context, f *fetched) (map[common.Hash]*rpc.Escrow, map[common.Hash]*rpc.Payout, error) {
	kinds := map[common.Hash]string{}
	var ids []common.Hash
	for _, n := range f.notices {
		ev := n.Event
		kind := ""
		switch ev.Kind {
		case chain.EventEscrowOpened, chain.EventEscrowReleased, chain.EventEscrowRefunded, chain.EventEscrowExpired:
			kind = "escrow"
		case chain.EventWithdrawal:
			kind = "payout"
		case chain.EventFeedbackMatched, chain.EventFeedbackException:
			if ev.Reason == chain.ReasonRecordNotFound {
				continue
			}
			kind = "escrow"
			if ev.Step == chain.FeedbackPayoutExecuted.String() {
				kind = "payout"
			}
		default:
			continue
		}
		if _, ok := kinds[ev.Record]; !ok {
			kinds[ev.Record] = kind
			ids = append(ids, ev.Record)
		}
	}
	escrows := make([]rpc.Escrow, len(ids))
	payouts := make([]rpc.Payout, len(ids))
	elems := make([]gethrpc.BatchElem, len(ids))
	for i, id := range ids {
		if kinds[id] == "escrow" {
			elems[i] = gethrpc.BatchElem{Method: "sov_getEscrow", Args: []any{id}, Result: &escrows[i]}
		} else {
			elems[i] = gethrpc.BatchElem{Method: "sov_getPayout", Args: []any{id}, Result: &payouts[i]}
		}
	}
	if err := s.batch(ctx, elems); err != nil {
		return nil, nil, err
	}
	es, ps := map[common.Hash]*rpc.Escrow{}, map[common.Hash]*rpc.Payout{}
	for i, e := range elems {
		if e.Error != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", kinds[ids[i]], ids[i], e.Error)
		}
		if kinds[ids[i]] == "escrow" {
			es[ids[i]] = &escrows[i]
		} else {
			ps[ids[i]] = &payouts[i]
		}
	}
	return es, ps, nil
}

// batch sends calls in batches of at most maxBatch.
func (s source) batch(ctx context.Context, elems []gethrpc.BatchElem) error {
	for len(elems) > 0 {
		n := min(len(elems), maxBatch)
		if err := s.c.BatchCallContext(ctx, elems[:n]); err != nil {
			return err
		}
		elems = elems[n:]
	}
	return nil
}

// notFound reports a JSON-RPC "not found" error (code -32001).
func notFound(err error) bool {
	var de gethrpc.Error
	return errors.As(err, &de) && de.ErrorCode() == rpc.CodeNotFound
}
