package rpc

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
)

// The result types below are the JSON shapes of the sov_ methods. The wallet
// client decodes into the same types, so server and client cannot drift.
// Raw minor units are decimal strings (",string") because uint64 does not
// fit a JavaScript number.

// Transaction is a transaction with where it stands.
type Transaction struct {
	Hash    common.Hash      `json:"hash"`
	Status  string           `json:"status"` // pending | included | final | rejected (at admission, or in a block: then height is set)
	Code    string           `json:"code"`   // rejection code; "" unless rejected
	Height  *uint64          `json:"height"` // null while pending
	Index   *int             `json:"index"`  // null while pending
	Type    string           `json:"type,omitempty"`
	ChainID string           `json:"chain_id,omitempty"`
	Sender  *common.Address  `json:"sender"` // null when unknown
	Nonce   *uint64          `json:"nonce"`
	Body    *TxBody          `json:"body"`
	Signers []common.Address `json:"signers,omitempty"`
	Size    int              `json:"size,omitempty"`
	Raw     hexutil.Bytes    `json:"raw,omitempty"`
	Receipt *Receipt         `json:"receipt"` // null unless included or final
}

// TxBody is a decoded transaction payload; which fields are present depends
// on the type.
type TxBody struct {
	To          *common.Address `json:"to,omitempty"`
	Account     *common.Address `json:"account,omitempty"`
	Asset       string          `json:"asset,omitempty"`
	Amount      string          `json:"amount,omitempty"`              // decimal string in the asset's units
	AmountUnits *uint64         `json:"amount_units,string,omitempty"` // minor units
	Escrow      *common.Hash    `json:"escrow,omitempty"`              // release, refund
	Record      *common.Hash    `json:"record,omitempty"`              // feedback
	Expiry      uint64          `json:"expiry,omitempty"`              // hold: block time (ms) after which the chain voids it
	Arbiter     *common.Address `json:"arbiter,omitempty"`             // hold
	Key         *common.Address `json:"key,omitempty"`                 // set_withdrawal_key
	Kind        string          `json:"kind,omitempty"`                // feedback
	Ref         string          `json:"ref,omitempty"`                 // feedback: the bank's reference
	Details     hexutil.Bytes   `json:"details,omitempty"`             // withdraw: encrypted payout details
	Request     *common.Hash    `json:"request,omitempty"`             // accept, decline, cancel_request
	Alias       *common.Hash    `json:"alias,omitempty"`               // bind_alias, unbind_alias, request by alias: the salted hash
	Mode        string          `json:"mode,omitempty"`                // request: direct | escrow
	HoldForMs   uint64          `json:"hold_for_ms,omitempty"`         // request in escrow mode
	Reason      string          `json:"reason,omitempty"`              // decline
	Terms       any             `json:"terms,omitempty"`               // set_policy, approvals, sub-accounts: the body as chain defines it
}

// Receipt is a transaction's outcome in a block.
//
// A block's own receipt (events the chain produced by itself, such as
// escrows voided by expiry) comes after its transactions' receipts and has
// a zero tx_hash.
type Receipt struct {
	TxHash common.Hash `json:"tx_hash"`
	OK     bool        `json:"ok"`
	Code   string      `json:"code"`
	Events []Event     `json:"events,omitempty"`
}

// Signature is one validator's precommit in a certificate.
type Signature struct {
	Validator common.Address `json:"validator"`
	Sig       hexutil.Bytes  `json:"sig"`
}

// Certificate is a commit certificate.
type Certificate struct {
	Height     uint64      `json:"height"`
	Round      uint32      `json:"round"`
	BlockHash  common.Hash `json:"block_hash"`
	Signatures []Signature `json:"signatures"`
}

// Header is a block header. RLP is its canonical encoding, so a client can
// recompute the hash and trust the state root without trusting the JSON.
type Header struct {
	ChainID        string         `json:"chain_id"`
	Height         uint64         `json:"height"`
	Hash           common.Hash    `json:"hash"`
	ParentHash     common.Hash    `json:"parent_hash"`
	Time           uint64         `json:"time"` // milliseconds since the Unix epoch
	Timestamp      string         `json:"timestamp"`
	Round          uint32         `json:"round"`
	Proposer       common.Address `json:"proposer"`
	Reveal         common.Hash    `json:"reveal"`
	TxRoot         common.Hash    `json:"tx_root"`
	ReceiptRoot    common.Hash    `json:"receipt_root"`
	StateRoot      common.Hash    `json:"state_root"`
	ValidatorsHash common.Hash    `json:"validators_hash"`
	LastCommit     *Certificate   `json:"last_commit"`
	RLP            hexutil.Bytes  `json:"rlp"`
}

// Block is a final block with its certificate.
type Block struct {
	Header
	Certificate  *Certificate  `json:"certificate"` // null until the successor carries it
	TxCount      int           `json:"tx_count"`
	Transactions []common.Hash `json:"transactions,omitempty"`      // hashes, unless full
	FullTxs      []Transaction `json:"full_transactions,omitempty"` // with full=true
	Receipts     []Receipt     `json:"receipts"`
}

// Balance is an account's holding of one asset.
type Balance struct {
	Asset          string `json:"asset"`
	Decimals       uint8  `json:"decimals"`
	Available      string `json:"available"`
	Held           string `json:"held"`
	Locked         string `json:"locked"`
	AvailableUnits uint64 `json:"available_units,string"`
	HeldUnits      uint64 `json:"held_units,string"`
	LockedUnits    uint64 `json:"locked_units,string"`
}

// Account is a ledger account.
type Account struct {
	Address       common.Address  `json:"address"`
	Bank          common.Address  `json:"bank"`
	Nonce         uint64          `json:"nonce"`                   // next nonce the ledger expects
	PendingNonce  *uint64         `json:"pending_nonce,omitempty"` // next nonce counting the pool, when the node knows it
	Balances      []Balance       `json:"balances"`
	Locks         []Lock          `json:"locks"`          // what makes up locked, with unlock times
	WithdrawalKey *common.Address `json:"withdrawal_key"` // must co-sign withdrawals when set
}

// Proof is a state value with its Merkle proof against a final header.
type Proof struct {
	Key         hexutil.Bytes   `json:"key"`  // state key
	Path        common.Hash     `json:"path"` // Keccak-256(key): the trie path
	Exists      bool            `json:"exists"`
	Value       *hexutil.Bytes  `json:"value"`            // RLP value; null when absent
	Account     *Account        `json:"account"`          // decoded, for account keys
	Escrow      *Escrow         `json:"escrow,omitempty"` // decoded, for escrow keys
	Nodes       []hexutil.Bytes `json:"nodes"`            // proof nodes, root first
	Header      Header          `json:"header"`
	Certificate *Certificate    `json:"certificate"` // the header's commit certificate when known
}

// Validator is a validator in chain info.
type Validator struct {
	Address   common.Address `json:"address"`
	Name      string         `json:"name,omitempty"`
	Power     uint64         `json:"power"`
	RevealTip common.Hash    `json:"reveal_tip"`
}

// Asset is an asset definition in chain info.
type Asset struct {
	Symbol   string           `json:"symbol"`
	Decimals uint8            `json:"decimals"`
	Issuers  []common.Address `json:"issuers"`
}

// ChainInfo is the node's view of the chain.
type ChainInfo struct {
	ChainID     string          `json:"chain_id"`
	GenesisHash common.Hash     `json:"genesis_hash"`
	FinalHeight uint64          `json:"final_height"`
	Round       uint32          `json:"round"`
	Holder      common.Address  `json:"holder"`
	Validators  []Validator     `json:"validators"`
	Self        *common.Address `json:"self"`
	PeerCount   int             `json:"peer_count"`
	Assets      []Asset         `json:"assets"`
	// HistoryFrom is the height this node's blocks, receipts and history
	// indexes start at when it joined from a snapshot (0: from genesis).
	HistoryFrom uint64 `json:"history_from,omitempty"`
}

// Decimals returns the decimals of asset and whether chain info lists it.
func (ci *ChainInfo) Decimals(asset string) (uint8, bool) {
	for _, a := range ci.Assets {
		if a.Symbol == asset {
			return a.Decimals, true
		}
	}
	return 0, false
}

// assets gives each asset's decimals for formatting amounts.
type assets map[string]uint8

func assetsOf(g *chain.Genesis) assets {
	m := make(assets, len(g.Assets))
	for _, a := range g.Assets {
		m[a.Symbol] = a.Decimals
	}
	return m
}

func (as assets) format(asset string, v uint64) string { return chain.FormatAmount(v, as[asset]) }

func (as assets) balance(b chain.Balance) Balance {
	return Balance{
		Asset: b.Asset, Decimals: as[b.Asset],
		Available: as.format(b.Asset, b.Available), AvailableUnits: b.Available,
		Held: as.format(b.Asset, b.Held), HeldUnits: b.Held,
		Locked: as.format(b.Asset, b.Locked), LockedUnits: b.Locked,
	}
}

func (as assets) body(b chain.Body) *TxBody {
	amount := func(asset string, v uint64) *TxBody {
		return &TxBody{Asset: asset, Amount: as.format(asset, v), AmountUnits: &v}
	}
	switch b := b.(type) {
	case chain.Transfer:
		out := amount(b.Asset, b.Amount)
		out.To = &b.To
		return out
	case chain.Mint:
		out := amount(b.Asset, b.Amount)
		out.To = &b.To
		return out
	case chain.Burn:
		return amount(b.Asset, b.Amount)
	case chain.RegisterAccount:
		return &TxBody{Account: &b.Account}
	case chain.Hold:
		out := amount(b.Asset, b.Amount)
		out.To, out.Expiry = &b.Payee, b.Expiry
		if b.Arbiter != (common.Address{}) {
			out.Arbiter = &b.Arbiter
		}
		return out
	case chain.Release:
		out := &TxBody{Escrow: &b.Escrow}
		if b.Amount > 0 {
			v := b.Amount
			out.AmountUnits = &v
		}
		return out
	case chain.Refund:
		return &TxBody{Escrow: &b.Escrow}
	case chain.SetWithdrawalKey:
		return &TxBody{Key: &b.Key}
	case chain.Withdraw:
		out := amount(b.Asset, b.Amount)
		out.Details = b.Details
		return out
	case chain.Feedback:
		out := amount(b.Asset, b.Amount)
		out.Record, out.Kind, out.Ref = &b.Record, b.Kind.String(), b.Ref
		return out
	}
	return as.paymentBody(b)
}

// tx renders a transaction; lookup supplies status and placement.
func (as assets) tx(hash common.Hash, l TxLookup) Transaction {
	out := Transaction{Hash: hash, Status: l.Status, Code: l.Code}
	if l.Receipt != nil || l.Status == "final" {
		h, i := l.Height, l.Index
		out.Height, out.Index = &h, &i
	}
	if l.Receipt != nil {
		r := as.receipt(l.Receipt)
		out.Receipt = &r
		if out.Code == "" {
			out.Code = r.Code
		}
	}
	if tx := l.Tx; tx != nil {
		nonce := tx.Nonce()
		out.Type, out.ChainID, out.Nonce = tx.Type().String(), tx.ChainID(), &nonce
		out.Body, out.Size, out.Raw = as.body(tx.Body()), tx.Size(), tx.Bytes()
		if signers, err := tx.Signers(); err == nil {
			out.Sender, out.Signers = &signers[0], signers
		}
	}
	return out
}

func (as assets) receipt(r *chain.Receipt) Receipt {
	out := Receipt{TxHash: r.TxHash, OK: r.OK(), Code: r.Code}
	for _, e := range r.Events {
		out.Events = append(out.Events, as.event(e))
	}
	return out
}

func certificate(c *chain.Certificate) *Certificate {
	if c == nil {
		return nil
	}
	out := &Certificate{Height: c.Height, Round: c.Round, BlockHash: c.BlockHash, Signatures: make([]Signature, len(c.Sigs))}
	for i, s := range c.Sigs {
		out.Signatures[i] = Signature{Validator: s.Validator, Sig: s.Sig}
	}
	return out
}

func header(h *chain.Header) (Header, error) {
	raw, err := encodeHeader(h)
	if err != nil {
		return Header{}, err
	}
	return Header{
		ChainID: h.ChainID, Height: h.Height, Hash: h.Hash(), ParentHash: h.Parent,
		Time: h.Time, Timestamp: time.UnixMilli(int64(h.Time)).UTC().Format(time.RFC3339Nano),
		Round: h.Round, Proposer: h.Proposer, Reveal: h.Reveal,
		TxRoot: h.TxRoot, ReceiptRoot: h.ReceiptRoot, StateRoot: h.StateRoot,
		ValidatorsHash: h.ValidatorsHash, LastCommit: certificate(h.LastCommit), RLP: raw,
	}, nil
}

func (as assets) account(addr common.Address, a *chain.Account, g *chain.Genesis, only string) Account {
	out := Account{Address: addr, Bank: a.Bank, Nonce: a.Nonce, Balances: []Balance{}, Locks: []Lock{}}
	for _, l := range a.Locks {
		out.Locks = append(out.Locks, Lock{Asset: l.Asset, Amount: as.format(l.Asset, l.Amount), AmountUnits: l.Amount,
			UnlockAt: l.UnlockAt, UnlockTime: msTime(l.UnlockAt)})
	}
	if a.WithdrawalKey != (common.Address{}) {
		k := a.WithdrawalKey
		out.WithdrawalKey = &k
	}
	if only != "" {
		out.Balances = append(out.Balances, as.balance(a.Balance(only)))
		return out
	}
	// Every genesis asset, zero or not, then anything else the account holds.
	listed := make(map[string]bool)
	for _, ga := range g.Assets {
		out.Balances = append(out.Balances, as.balance(a.Balance(ga.Symbol)))
		listed[ga.Symbol] = true
	}
	for _, b := range a.Balances {
		if !listed[b.Asset] {
			out.Balances = append(out.Balances, as.balance(b))
		}
	}
	return out
}
