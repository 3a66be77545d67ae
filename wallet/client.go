package wallet

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// ErrUnreachable wraps failures to reach the node at all.
var ErrUnreachable = errors.New("node unreachable")

// RPCError is an error answered by the node. Code is the stable string code:
// a ledger rejection ("insufficient_funds", "bad_nonce", ...) or one of the
// rpc package's codes ("tx_not_found", "account_not_found", ...).
type RPCError struct {
	Num     int          // JSON-RPC numeric code
	Code    string       // stable string code
	Message string       // human-readable detail
	Hash    *common.Hash // the transaction concerned, when there is one
}

func (e *RPCError) Error() string {
	if e.Code == "" || strings.Contains(e.Message, e.Code) {
		return e.Message
	}
	return e.Message + " (" + e.Code + ")"
}

// Is makes errors.Is(err, chain.ErrInsufficientFunds) work for rejections
// that crossed the wire.
func (e *RPCError) Is(target error) bool {
	var re *chain.RejectError
	return errors.As(target, &re) && re.Code == e.Code
}

// Rejected reports whether the error is a transaction rejection.
func (e *RPCError) Rejected() bool { return e.Num == rpc.CodeRejected }

// Client talks to one node's JSON-RPC endpoint over HTTP(S) or WebSocket.
type Client struct {
	c   *gethrpc.Client
	url string

	mu   sync.Mutex
	info *rpc.ChainInfo // static parts (chain id, assets) cached after the first call

	// Set before the client is used (SetCosigners, SetSignOnly); read by
	// Submit, the one place every transaction is signed.
	cosigners []*ecdsa.PrivateKey
	signOnly  bool
}

// Dial connects to url: http(s):// or ws(s)://. HTTP connects lazily, so an
// unreachable node shows on the first call.
func Dial(rawurl string) (*Client, error) { return DialContext(context.Background(), rawurl) }

// DialOption changes how Dial connects.
type DialOption func(*[]gethrpc.ClientOption)

// WithToken sends token as "Authorization: Bearer TOKEN" on every request
// and on the WebSocket handshake (nodes with RPC access control on; empty:
// none). `sovereign rpc token` mints one.
func WithToken(token string) DialOption {
	return func(o *[]gethrpc.ClientOption) {
		if token != "" {
			*o = append(*o, gethrpc.WithHeader("Authorization", "Bearer "+token))
		}
	}
}

// DialContext is Dial with a context for the WebSocket handshake.
func DialContext(ctx context.Context, rawurl string, opts ...DialOption) (*Client, error) {
	u, err := url.Parse(rawurl)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("rpc url %q: want http://host:port or ws://host:port", rawurl)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return nil, fmt.Errorf("rpc url %q: scheme must be http, https, ws or wss", rawurl)
	}
	var copts []gethrpc.ClientOption
	for _, o := range opts {
		o(&copts)
	}
	c, err := gethrpc.DialOptions(ctx, rawurl, copts...)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrUnreachable, rawurl, err)
	}
	return &Client{c: c, url: rawurl}, nil
}

// Close releases the connection.
func (c *Client) Close() { c.c.Close() }

// URL is the endpoint the client talks to.
func (c *Client) URL() string { return c.url }

func (c *Client) call(ctx context.Context, out any, method string, args ...any) error {
	return c.convert(c.c.CallContext(ctx, out, method, args...))
}

// convert turns transport and JSON-RPC errors into ErrUnreachable or *RPCError.
func (c *Client) convert(err error) error {
	if err == nil {
		return nil
	}
	var httpErr gethrpc.HTTPError
	if errors.As(err, &httpErr) {
		var resp struct {
			Error *struct {
				Code    int           `json:"code"`
				Message string        `json:"message"`
				Data    rpc.ErrorData `json:"data"`
			} `json:"error"`
		}
		if json.Unmarshal(httpErr.Body, &resp) == nil && resp.Error != nil {
			return &RPCError{Num: resp.Error.Code, Code: resp.Error.Data.Code, Message: resp.Error.Message, Hash: resp.Error.Data.Hash}
		}
		return fmt.Errorf("node at %s answered HTTP %s", c.url, httpErr.Status)
	}
	var rerr gethrpc.Error
	if errors.As(err, &rerr) {
		out := &RPCError{Num: rerr.ErrorCode(), Message: rerr.Error()}
		var derr gethrpc.DataError
		if errors.As(err, &derr) {
			if raw, jerr := json.Marshal(derr.ErrorData()); jerr == nil {
				var d rpc.ErrorData
				if json.Unmarshal(raw, &d) == nil {
					out.Code, out.Hash = d.Code, d.Hash
				}
			}
		}
		if out.Code == "" {
			out.Code = genericCode(out.Num)
		}
		return out
	}
	var netErr net.Error
	var urlErr *url.Error
	if errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, gethrpc.ErrClientQuit) {
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.url, err)
	}
	return err
}

// genericCode names the JSON-RPC protocol errors that carry no data code.
func genericCode(num int) string {
	switch num {
	case -32700:
		return "parse_error"
	case -32600:
		return "invalid_request"
	case -32601:
		return "method_not_found"
	case -32602:
		return rpc.ErrCodeInvalidParams
	case -32603:
		return rpc.ErrCodeInternal
	}
	return "error"
}

// IsCode reports whether err is an RPCError with the given string code.
func IsCode(err error, code string) bool {
	var re *RPCError
	return errors.As(err, &re) && re.Code == code
}

// ChainInfo calls sov_chainInfo.
func (c *Client) ChainInfo(ctx context.Context) (*rpc.ChainInfo, error) {
	var out rpc.ChainInfo
	if err := c.call(ctx, &out, "sov_chainInfo"); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.info = &out
	c.mu.Unlock()
	return &out, nil
}

// staticInfo returns chain info, fetching it once; use it only for what never
// changes (chain id, genesis hash, assets).
func (c *Client) staticInfo(ctx context.Context) (*rpc.ChainInfo, error) {
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	if info != nil {
		return info, nil
	}
	return c.ChainInfo(ctx)
}

// Genesis calls sov_genesis.
func (c *Client) Genesis(ctx context.Context) (*chain.Genesis, error) {
	var out chain.Genesis
	if err := c.call(ctx, &out, "sov_genesis"); err != nil {
		return nil, err
	}
	return &out, nil
}

// SendRawTransaction calls sov_sendRawTransaction.
func (c *Client) SendRawTransaction(ctx context.Context, raw []byte) (common.Hash, error) {
	var h common.Hash
	err := c.call(ctx, &h, "sov_sendRawTransaction", hexutil.Bytes(raw))
	return h, err
}

// SendTx submits a signed transaction.
func (c *Client) SendTx(ctx context.Context, tx *chain.Tx) (common.Hash, error) {
	return c.SendRawTransaction(ctx, tx.Bytes())
}

// Transaction calls sov_getTransaction.
func (c *Client) Transaction(ctx context.Context, hash common.Hash) (*rpc.Transaction, error) {
	var out rpc.Transaction
	if err := c.call(ctx, &out, "sov_getTransaction", hash); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitTransaction calls sov_waitTransaction: it blocks on the node until the
// transaction is final or rejected or timeout passes, and returns it as it
// then stands.
func (c *Client) WaitTransaction(ctx context.Context, hash common.Hash, timeout time.Duration) (*rpc.Transaction, error) {
	var out rpc.Transaction
	if err := c.call(ctx, &out, "sov_waitTransaction", hash, uint64(timeout.Milliseconds())); err != nil {
		return nil, err
	}
	return &out, nil
}

// BlockByNumber calls sov_getBlockByNumber; full asks for full transactions.
func (c *Client) BlockByNumber(ctx context.Context, ref rpc.BlockRef, full bool) (*rpc.Block, error) {
	var out rpc.Block
	if err := c.call(ctx, &out, "sov_getBlockByNumber", ref, full); err != nil {
		return nil, err
	}
	return &out, nil
}

// Account calls sov_getAccount; asset "" returns every balance.
func (c *Client) Account(ctx context.Context, addr common.Address, asset string) (*rpc.Account, error) {
	var out rpc.Account
	args := []any{addr}
	if asset != "" {
		args = append(args, asset)
	}
	if err := c.call(ctx, &out, "sov_getAccount", args...); err != nil {
		return nil, err
	}
	return &out, nil
}

// Proof calls sov_getProof. The result is unverified: see ProveAccount.
func (c *Client) Proof(ctx context.Context, q rpc.ProofQuery) (*rpc.Proof, error) {
	var out rpc.Proof
	if err := c.call(ctx, &out, "sov_getProof", q); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubscribeFinalBlocks delivers the header of each block that becomes final
// (WebSocket connections only).
func (c *Client) SubscribeFinalBlocks(ctx context.Context, ch chan<- rpc.Header) (*gethrpc.ClientSubscription, error) {
	sub, err := c.c.Subscribe(ctx, rpc.Namespace, ch, "newFinalBlocks")
	return sub, c.convert(err)
}

// NextNonce is the nonce for addr's next transaction: the pool's when the
// node reports it, else the ledger's.
func (c *Client) NextNonce(ctx context.Context, addr common.Address) (uint64, error) {
	a, err := c.Account(ctx, addr, "")
	if err != nil {
		return 0, err
	}
	if a.PendingNonce != nil {
		return *a.PendingNonce, nil
	}
	return a.Nonce, nil
}

// DefaultAsset is the first asset of genesis.
func (c *Client) DefaultAsset(ctx context.Context) (string, error) {
	info, err := c.staticInfo(ctx)
	if err != nil {
		return "", err
	}
	if len(info.Assets) == 0 {
		return "", errors.New("chain has no assets")
	}
	return info.Assets[0].Symbol, nil
}

// Decimals returns asset's decimals, or an error naming the known assets.
func (c *Client) Decimals(ctx context.Context, asset string) (uint8, error) {
	info, err := c.staticInfo(ctx)
	if err != nil {
		return 0, err
	}
	if d, ok := info.Decimals(asset); ok {
		return d, nil
	}
	known := make([]string, len(info.Assets))
	for i, a := range info.Assets {
		known[i] = a.Symbol
	}
	return 0, fmt.Errorf("unknown asset %q (chain %s has %s)", asset, info.ChainID, strings.Join(known, ", "))
}
