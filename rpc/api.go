package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
)

// MaxWait caps how long sov_waitTransaction blocks.
const MaxWait = 60 * time.Second

// API is the "sov" service. Each exported method is one JSON-RPC method:
// SendRawTransaction is sov_sendRawTransaction, and so on.
type API struct {
	b      Backend
	assets assets
	g      *chain.Genesis
}

func newAPI(b Backend) *API {
	g := b.Genesis()
	return &API{b: b, g: g, assets: assetsOf(g)}
}

// SendRawTransaction decodes a signed transaction, submits it to the pool and
// returns its hash. A refusal is a CodeRejected error whose data carries the
// rejection code and the hash.
func (api *API) SendRawTransaction(raw hexutil.Bytes) (common.Hash, error) {
	tx, err := chain.DecodeTx(raw)
	if err != nil {
		h := crypto.Keccak256Hash(raw)
		return common.Hash{}, rejectionError(err, &h)
	}
	hash := tx.Hash()
	if err := api.b.SubmitTxs([]*chain.Tx{tx})[0]; err != nil {
		return common.Hash{}, rejectionError(err, &hash)
	}
	return hash, nil
}

// GetTransaction returns a transaction with its status and receipt.
func (api *API) GetTransaction(hash common.Hash) (*Transaction, error) {
	l, found, err := api.b.LookupTx(hash)
	if err != nil {
		return nil, internalError("lookup transaction", err)
	}
	if !found {
		e := newError(CodeNotFound, ErrCodeTxNotFound, "transaction not found: %s", hash.Hex())
		if from := api.b.Info().HistoryFrom; from > 0 {
			e.Msg += fmt.Sprintf(" (this node's history starts at height %d, the snapshot it joined from: an older transaction is known only to nodes that keep the full history)", from)
		}
		e.Data.Hash = &hash
		return nil, e
	}
	out := api.assets.tx(hash, l)
	return &out, nil
}

// WaitTransaction blocks until the transaction is final or rejected, or
// timeoutMs (capped at MaxWait; default 30 s) passes, and returns it as it
// then stands: a caller that gets status pending or included waits again.
func (api *API) WaitTransaction(ctx context.Context, hash common.Hash, timeoutMs *uint64) (*Transaction, error) {
	timeout := 30 * time.Second
	if timeoutMs != nil {
		timeout = time.Duration(*timeoutMs) * time.Millisecond
	}
	timeout = min(timeout, MaxWait)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		// Read the final height first: if a block becomes final after the
		// lookup, the wait below returns at once instead of missing it.
		final := api.b.Info().FinalHeight
		tx, err := api.GetTransaction(hash)
		if err != nil || tx.Status == "final" || tx.Status == "rejected" {
			return tx, err
		}
		if err := api.b.WaitFinal(ctx, final+1); err != nil {
			if ctx.Err() != nil {
				return api.GetTransaction(hash)
			}
			return nil, internalError("wait for final block", err)
		}
	}
}

// GetBlockByNumber returns a final block with its certificate and receipts;
// full selects full transactions instead of hashes.
func (api *API) GetBlockByNumber(ref BlockRef, full *bool) (*Block, error) {
	st := api.b.Info()
	height := ref.Height
	if ref.Latest {
		height = st.FinalHeight
	}
	notFound := newError(CodeNotFound, ErrCodeBlockNotFound, "block %s not found (final height %d)", ref, st.FinalHeight)
	if height > st.FinalHeight {
		return nil, notFound
	}
	b, cert, receipts, err := api.b.BlockByNumber(height)
	if errors.Is(err, chain.ErrBeforeSnapshot) {
		return nil, newError(CodeNotFound, ErrCodeBeforeSnapshot, "block %s is before the snapshot this node joined from (its history starts at height %d): ask a node that keeps the full history", ref, st.HistoryFrom)
	}
	if errors.Is(err, chain.ErrNotFound) || err == nil && b == nil {
		return nil, notFound
	}
	if err != nil {
		return nil, internalError("read block", err)
	}
	h, err := header(b.Header)
	if err != nil {
		return nil, internalError("encode header", err)
	}
	out := &Block{Header: h, Certificate: certificate(cert), TxCount: len(b.Txs), Receipts: make([]Receipt, len(receipts))}
	for i, r := range receipts {
		out.Receipts[i] = api.assets.receipt(r)
	}
	if full != nil && *full {
		out.FullTxs = make([]Transaction, len(b.Txs))
	} else {
		out.Transactions = make([]common.Hash, len(b.Txs))
	}
	for i, tx := range b.Txs {
		if out.FullTxs == nil {
			out.Transactions[i] = tx.Hash()
			continue
		}
		l := TxLookup{Tx: tx, Status: "final", Height: b.Height(), Index: i}
		if i < len(receipts) {
			l.Receipt, l.Code = receipts[i], receipts[i].Code
			if !receipts[i].OK() {
				l.Status = "rejected"
			}
		}
		out.FullTxs[i] = api.assets.tx(tx.Hash(), l)
	}
	return out, nil
}

// GetAccount returns an account's nonce and balances; asset, when given,
// selects one balance (zero if the account holds none of it).
func (api *API) GetAccount(addr common.Address, asset *string) (*Account, error) {
	only := ""
	if asset != nil && *asset != "" {
		if _, ok := api.assets[*asset]; !ok {
			return nil, invalidParams("unknown asset %q", *asset)
		}
		only = *asset
	}
	acct, ok, err := api.b.Account(addr)
	if err != nil {
		return nil, internalError("read account", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeAccountNotFound, "account not found: %s", addr.Hex())
	}
	out := api.assets.account(addr, acct, api.g, only)
	// pending_nonce lets a wallet send several transactions without waiting.
	if n, ok := api.b.PendingNonce(addr); ok {
		out.PendingNonce = &n
	}
	return &out, nil
}

// GetProof returns a state value and its Merkle proof against a final
// header, with that header's certificate when known.
func (api *API) GetProof(q ProofQuery) (*Proof, error) {
	var key []byte
	switch {
	case q.count() > 1:
		return nil, invalidParams("proof query: give one of account, escrow, payout or key")
	case q.Account != nil:
		key = chain.AccountKey(*q.Account)
	case q.Escrow != nil:
		key = chain.EscrowKey(*q.Escrow)
	case q.Payout != nil:
		key = chain.PayoutKey(*q.Payout)
	case len(q.Key) > 0:
		key = q.Key
	default:
		return nil, invalidParams("proof query: give account, escrow, payout or key")
	}
	sp, err := api.b.Proof(key)
	if err != nil {
		return nil, internalError("build proof", err)
	}
	if sp.Header == nil {
		return nil, internalError("build proof", errors.New("no header"))
	}
	h, err := header(sp.Header)
	if err != nil {
		return nil, internalError("encode header", err)
	}
	out := &Proof{Key: key, Path: crypto.Keccak256Hash(key), Exists: sp.Value != nil, Header: h, Nodes: make([]hexutil.Bytes, len(sp.Nodes))}
	if sp.Value != nil {
		v := hexutil.Bytes(sp.Value)
		out.Value = &v
	}
	for i, n := range sp.Nodes {
		out.Nodes[i] = n
	}
	if q.Account != nil && sp.Value != nil {
		var acct chain.Account
		if err := rlp.DecodeBytes(sp.Value, &acct); err != nil {
			return nil, internalError("decode account", err)
		}
		a := api.assets.account(*q.Account, &acct, api.g, "")
		out.Account = &a
	}
	if q.Escrow != nil && sp.Value != nil {
		var e chain.Escrow
		if err := rlp.DecodeBytes(sp.Value, &e); err != nil {
			return nil, internalError("decode escrow", err)
		}
		v := api.assets.escrow(&e, sp.Header.Time)
		out.Escrow = &v
	}
	if _, cert, _, err := api.b.BlockByNumber(sp.Header.Height); err == nil {
		out.Certificate = certificate(cert)
	}
	return out, nil
}

// ChainInfo is the node's view of the chain: heights, the current sovereign
// key holder, validators and assets.
func (api *API) ChainInfo() *ChainInfo {
	st := api.b.Info()
	names := make(map[common.Address]string)
	for _, v := range api.g.Validators {
		names[v.Address] = v.Name
	}
	out := &ChainInfo{
		ChainID: st.ChainID, GenesisHash: st.GenesisHash, FinalHeight: st.FinalHeight,
		Round: st.Round, Holder: st.Holder, Self: st.Self, PeerCount: st.PeerCount, HistoryFrom: st.HistoryFrom,
		Validators: make([]Validator, len(st.Validators)), Assets: make([]Asset, len(api.g.Assets)),
	}
	for i, v := range st.Validators {
		out.Validators[i] = Validator{Address: v.Address, Name: names[v.Address], Power: v.Power, RevealTip: v.RevealTip}
	}
	for i, a := range api.g.Assets {
		out.Assets[i] = Asset{Symbol: a.Symbol, Decimals: a.Decimals, Issuers: a.Issuers}
	}
	return out
}

// Genesis returns the chain's genesis document.
func (api *API) Genesis() *chain.Genesis { return api.b.Genesis() }

// NewFinalBlocks is the "newFinalBlocks" subscription (WebSocket only):
// sov_subscribe("newFinalBlocks") notifies the header of every block that
// becomes final from now on.
func (api *API) NewFinalBlocks(ctx context.Context) (*gethrpc.Subscription, error) {
	return api.subscribeFinal(ctx, func(notify func(any) error, b *chain.Block, _ []*chain.Receipt) error {
		h, err := header(b.Header)
		if err != nil {
			return err
		}
		return notify(h)
	})
}

// subscribeFinal runs a WebSocket subscription that hands every block that
// becomes final from now on, in order, to each, until the client
// unsubscribes or each fails.
func (api *API) subscribeFinal(ctx context.Context, each func(notify func(any) error, b *chain.Block, rs []*chain.Receipt) error) (*gethrpc.Subscription, error) {
	notifier, ok := gethrpc.NotifierFromContext(ctx)
	if !ok {
		return nil, gethrpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	notify := func(v any) error { return notifier.Notify(sub.ID, v) }
	next := api.b.Info().FinalHeight + 1
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-sub.Err():
				cancel()
			case <-ctx.Done():
			}
		}()
		for {
			if err := api.b.WaitFinal(ctx, next); err != nil {
				return
			}
			for ; next <= api.b.Info().FinalHeight; next++ {
				b, _, receipts, err := api.b.BlockByNumber(next)
				if err != nil || b == nil {
					return
				}
				if err := each(notify, b, receipts); err != nil {
					return
				}
			}
		}
	}()
	return sub, nil
}

func encodeHeader(h *chain.Header) ([]byte, error) { return rlp.EncodeToBytes(h) }

// MaxBatchTxs bounds sov_sendRawTransactions.
const MaxBatchTxs = 1000

// SubmitResult is one transaction's outcome in sov_sendRawTransactions.
type SubmitResult struct {
	Hash  common.Hash `json:"hash"`
	Code  string      `json:"code,omitempty"`  // rejection code; empty when admitted
	Error string      `json:"error,omitempty"` // what was wrong, for people
}

// SendRawTransactions submits up to MaxBatchTxs signed transactions in one
// call — the way a bank back-end or a busy wallet server should — and
// returns one result per transaction, in order. One bad transaction does not
// fail the others.
func (api *API) SendRawTransactions(raws []hexutil.Bytes) ([]SubmitResult, error) {
	if len(raws) > MaxBatchTxs {
		return nil, invalidParams("%d transactions, at most %d per call", len(raws), MaxBatchTxs)
	}
	out := make([]SubmitResult, len(raws))
	txs := make([]*chain.Tx, 0, len(raws))
	idx := make([]int, 0, len(raws))
	for i, raw := range raws {
		tx, err := chain.DecodeTx(raw)
		if err != nil {
			out[i] = SubmitResult{Hash: crypto.Keccak256Hash(raw), Code: chain.CodeOf(err), Error: err.Error()}
			continue
		}
		out[i].Hash = tx.Hash()
		txs, idx = append(txs, tx), append(idx, i)
	}
	for j, err := range api.b.SubmitTxs(txs) {
		if err != nil {
			out[idx[j]].Code, out[idx[j]].Error = chain.CodeOf(err), err.Error()
		}
	}
	return out, nil
}
