package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
)

// guardedAPI is the service the server registers: every method of API,
// each first asking the server whether its caller may make the call (the
// access table in access.go, the per-connection rate and subscription
// limits in limits.go). go-ethereum passes a context only to methods that
// take one, so each method here takes one and then calls API's.
type guardedAPI struct {
	s   *Server
	api *API
}

// check finds the caller, charges a WebSocket call to its rate bucket (an
// HTTP request is charged whole before it reaches go-ethereum) and applies
// the access table.
func (g *guardedAPI) check(ctx context.Context, method string, args ...any) (*caller, error) {
	c := g.s.callerOf(ctx)
	if c.subs != nil && !g.s.edge.allowCalls(c.ip, 1) {
		return nil, newError(CodeLimited, ErrCodeRateLimited, "rate limit: %g calls per second from one client address", g.s.cfg.RequestRate)
	}
	return c, g.s.authorize(c, method, args)
}

// subscribe checks a subscription like a call, counts it against the
// connection's and the node's subscription limits, and starts it.
func (g *guardedAPI) subscribe(ctx context.Context, name string, args []any, start func() (*gethrpc.Subscription, error)) (*gethrpc.Subscription, error) {
	c, err := g.check(ctx, "sov_subscribe:"+name, args...)
	if err != nil {
		return nil, err
	}
	release, err := g.s.edge.addSubscription(c)
	if err != nil {
		return nil, err
	}
	sub, err := start()
	if err != nil {
		release()
		return nil, err
	}
	go func() {
		select {
		case <-sub.Err(): // unsubscribed, or the connection closed
		case <-c.done:
		}
		release()
	}()
	return sub, nil
}

func (g *guardedAPI) SendRawTransaction(ctx context.Context, raw hexutil.Bytes) (common.Hash, error) {
	if _, err := g.check(ctx, "sov_sendRawTransaction", raw); err != nil {
		return common.Hash{}, err
	}
	return g.api.SendRawTransaction(raw)
}

func (g *guardedAPI) SendRawTransactions(ctx context.Context, raws []hexutil.Bytes) ([]SubmitResult, error) {
	if _, err := g.check(ctx, "sov_sendRawTransactions", raws); err != nil {
		return nil, err
	}
	return g.api.SendRawTransactions(raws)
}

func (g *guardedAPI) GetTransaction(ctx context.Context, hash common.Hash) (*Transaction, error) {
	if _, err := g.check(ctx, "sov_getTransaction", hash); err != nil {
		return nil, err
	}
	return g.api.GetTransaction(hash)
}

func (g *guardedAPI) WaitTransaction(ctx context.Context, hash common.Hash, timeoutMs *uint64) (*Transaction, error) {
	if _, err := g.check(ctx, "sov_waitTransaction", hash, timeoutMs); err != nil {
		return nil, err
	}
	return g.api.WaitTransaction(ctx, hash, timeoutMs)
}

func (g *guardedAPI) GetBlockByNumber(ctx context.Context, ref BlockRef, full *bool) (*Block, error) {
	if _, err := g.check(ctx, "sov_getBlockByNumber", ref, full); err != nil {
		return nil, err
	}
	return g.api.GetBlockByNumber(ref, full)
}

func (g *guardedAPI) GetAccount(ctx context.Context, addr common.Address, asset *string) (*Account, error) {
	if _, err := g.check(ctx, "sov_getAccount", addr, asset); err != nil {
		return nil, err
	}
	return g.api.GetAccount(addr, asset)
}

func (g *guardedAPI) GetProof(ctx context.Context, q ProofQuery) (*Proof, error) {
	if _, err := g.check(ctx, "sov_getProof", q); err != nil {
		return nil, err
	}
	return g.api.GetProof(q)
}

func (g *guardedAPI) ChainInfo(ctx context.Context) (*ChainInfo, error) {
	if _, err := g.check(ctx, "sov_chainInfo"); err != nil {
		return nil, err
	}
	return g.api.ChainInfo(), nil
}

func (g *guardedAPI) Genesis(ctx context.Context) (*chain.Genesis, error) {
	if _, err := g.check(ctx, "sov_genesis"); err != nil {
		return nil, err
	}
	return g.api.Genesis(), nil
}

func (g *guardedAPI) GetEscrow(ctx context.Context, id common.Hash) (*Escrow, error) {
	if _, err := g.check(ctx, "sov_getEscrow", id); err != nil {
		return nil, err
	}
	return g.api.GetEscrow(id)
}

func (g *guardedAPI) ListEscrows(ctx context.Context, q EscrowList) ([]Escrow, error) {
	if _, err := g.check(ctx, "sov_listEscrows", q); err != nil {
		return nil, err
	}
	return g.api.ListEscrows(q)
}

func (g *guardedAPI) GetPayout(ctx context.Context, id common.Hash) (*Payout, error) {
	if _, err := g.check(ctx, "sov_getPayout", id); err != nil {
		return nil, err
	}
	return g.api.GetPayout(id)
}

func (g *guardedAPI) ListPayouts(ctx context.Context, q BankRange) ([]Payout, error) {
	if _, err := g.check(ctx, "sov_listPayouts", q); err != nil {
		return nil, err
	}
	return g.api.ListPayouts(q)
}

func (g *guardedAPI) Reconciliation(ctx context.Context, q BankRange) (*Reconciliation, error) {
	if _, err := g.check(ctx, "sov_reconciliation", q); err != nil {
		return nil, err
	}
	return g.api.Reconciliation(q)
}

func (g *guardedAPI) GetBank(ctx context.Context, addr common.Address) (*Bank, error) {
	if _, err := g.check(ctx, "sov_getBank", addr); err != nil {
		return nil, err
	}
	return g.api.GetBank(addr)
}

func (g *guardedAPI) NewFinalBlocks(ctx context.Context) (*gethrpc.Subscription, error) {
	return g.subscribe(ctx, "newFinalBlocks", nil, func() (*gethrpc.Subscription, error) { return g.api.NewFinalBlocks(ctx) })
}

func (g *guardedAPI) AccountEvents(ctx context.Context, addr common.Address) (*gethrpc.Subscription, error) {
	return g.subscribe(ctx, "accountEvents", []any{addr}, func() (*gethrpc.Subscription, error) { return g.api.AccountEvents(ctx, addr) })
}

func (g *guardedAPI) KeyPath(ctx context.Context, count *int) ([]KeyStep, error) {
	if _, err := g.check(ctx, "sov_keyPath", count); err != nil {
		return nil, err
	}
	return g.api.KeyPath(count)
}

func (g *guardedAPI) ListEvidence(ctx context.Context, q EvidenceQuery) ([]Evidence, error) {
	if _, err := g.check(ctx, "sov_listEvidence", q); err != nil {
		return nil, err
	}
	return g.api.ListEvidence(q)
}

func (g *guardedAPI) AccountHistory(ctx context.Context, q HistoryQuery) (*History, error) {
	if _, err := g.check(ctx, "sov_accountHistory", q); err != nil {
		return nil, err
	}
	return g.api.AccountHistory(q)
}
