package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Cursor is where the indexer stands: the chain and the last block written.
type Cursor struct {
	ChainID     string
	GenesisHash common.Hash
	Height      uint64
	BlockHash   common.Hash
}

// ReadCursor returns the cursor; ok is false before block 0 is written.
func ReadCursor(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (c Cursor, ok bool, err error) {
	var gh, bh []byte
	var h int64
	err = q.QueryRow(ctx, `SELECT chain_id, genesis_hash, height, block_hash FROM indexer_cursor`).Scan(&c.ChainID, &gh, &h, &bh)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, false, nil
	}
	if err != nil {
		return Cursor{}, false, fmt.Errorf("read cursor: %w", err)
	}
	c.GenesisHash, c.Height, c.BlockHash = common.BytesToHash(gh), uint64(h), common.BytesToHash(bh)
	return c, true, nil
}

// errWritten means another indexer wrote the block first.
var errWritten = errors.New("block already written")

// write stores one block and moves the cursor onto it in one database
// transaction. Block 0 also creates the cursor and the genesis
// allocations; every later block must follow the cursor's.
func write(ctx context.Context, pool *pgxpool.Pool, f *fetched, g *chain.Genesis, genesisHash common.Hash) error {
	h := f.block.Header.Height
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if h == 0 {
			tag, err := tx.Exec(ctx, `INSERT INTO indexer_cursor (chain_id, genesis_hash, height, block_hash) VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING`,
				g.ChainID, genesisHash.Bytes(), f.rb.Hash.Bytes())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return errWritten
			}
			for _, a := range g.Assets {
				if _, err := tx.Exec(ctx, `INSERT INTO assets (symbol, decimals) VALUES ($1, $2)`, a.Symbol, int32(a.Decimals)); err != nil {
					return err
				}
			}
		} else {
			var at int64
			var hash []byte
			if err := tx.QueryRow(ctx, `SELECT height, block_hash FROM indexer_cursor FOR UPDATE`).Scan(&at, &hash); err != nil {
				return fmt.Errorf("lock cursor: %w", err)
			}
			switch {
			case uint64(at) >= h:
				return errWritten
			case uint64(at) != h-1:
				return fmt.Errorf("cursor at %d, cannot write block %d", at, h)
			case common.BytesToHash(hash) != f.rb.ParentHash:
				return fmt.Errorf("block %d's parent %s is not the indexed block %d %x: another chain?", h, f.rb.ParentHash, at, hash)
			}
			if _, err := tx.Exec(ctx, `UPDATE indexer_cursor SET height = $1, block_hash = $2`, int64(h), f.rb.Hash.Bytes()); err != nil {
				return err
			}
		}
		return writeRows(ctx, tx, f, g)
	})
}

func writeRows(ctx context.Context, tx pgx.Tx, f *fetched, g *chain.Genesis) error {
	rb, h := f.rb, int64(f.block.Header.Height)
	btime := time.UnixMilli(int64(rb.Time)).UTC()
	precommits := 0
	if rb.Certificate != nil {
		precommits = len(rb.Certificate.Signatures)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO blocks (height, hash, parent_hash, time, time_ms, round, proposer, reveal, state_root, tx_count, precommits)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		h, rb.Hash.Bytes(), rb.ParentHash.Bytes(), btime, int64(rb.Time), int32(rb.Round), rb.Proposer.Bytes(), rb.Reveal.Bytes(),
		rb.StateRoot.Bytes(), int32(rb.TxCount), int32(precommits)); err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	if err := copyRows(ctx, tx, "transactions", txColumns, txRows(f)); err != nil {
		return err
	}
	var receipts [][]any
	for i, r := range rb.Receipts {
		var txh []byte
		if r.TxHash != (common.Hash{}) {
			txh = r.TxHash.Bytes()
		}
		receipts = append(receipts, []any{h, int32(i), txh, r.OK, r.Code, int32(len(r.Events))})
	}
	if err := copyRows(ctx, tx, "receipts", []string{"height", "position", "tx_hash", "ok", "code", "event_count"}, receipts); err != nil {
		return err
	}
	var events [][]any
	for _, n := range f.notices {
		events = append(events, eventRow(n, btime))
	}
	if err := copyRows(ctx, tx, "events", eventColumns, events); err != nil {
		return err
	}
	moves, err := blockMovements(ctx, tx, f, g)
	if err != nil {
		return err
	}
	var changes [][]any
	for _, m := range moves {
		changes = append(changes, []any{h, int32(m.position), int32(m.idx), m.account.Bytes(), m.asset,
			numeric(m.available), numeric(m.held), numeric(m.locked), m.kind, hashOrNil(m.txHash), btime})
	}
	if err := copyRows(ctx, tx, "balance_changes", []string{"height", "position", "idx", "account", "asset", "available", "held", "locked", "kind", "tx_hash", "time"}, changes); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	queueRecords(batch, f, h, btime)
	if batch.Len() > 0 {
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("block %d escrows and payouts: %w", h, err)
		}
	}
	if err := writeSnapshots(ctx, tx, f, h); err != nil {
		return fmt.Errorf("block %d snapshots: %w", h, err)
	}
	return nil
}

var txColumns = []string{"hash", "height", "position", "type", "sender", "nonce", "code", "ok", "asset", "amount", "recipient", "record", "body", "size"}

func txRows(f *fetched) [][]any {
	var out [][]any
	for i, t := range f.rb.FullTxs {
		tx := f.block.Txs[i]
		sender, err := tx.Sender() // recovered once by BlockNotices, cached on the Tx
		if err != nil {
			sender = common.Address{}
		}
		body, _ := json.Marshal(t.Body)
		var asset *string
		var amount any
		var recipient, record []byte
		if b := t.Body; b != nil {
			if b.Asset != "" {
				asset = &b.Asset
			}
			if b.AmountUnits != nil {
				amount = numericU(*b.AmountUnits)
			}
			if b.To != nil {
				recipient = b.To.Bytes()
			}
			if b.Escrow != nil {
				record = b.Escrow.Bytes()
			} else if b.Record != nil {
				record = b.Record.Bytes()
			}
		}
		ok := t.Receipt != nil && t.Receipt.OK
		out = append(out, []any{t.Hash.Bytes(), int64(f.block.Header.Height), int32(i), t.Type, sender.Bytes(), int64(tx.Nonce()),
			t.Code, ok, asset, amount, recipient, record, body, int32(t.Size)})
	}
	return out
}

var eventColumns = []string{"height", "position", "idx", "tx_hash", "time", "kind", "record", "accounts", "bank", "asset", "amount", "at_ms", "step", "ref", "reason"}

func eventRow(n chain.Notice, t time.Time) []any {
	e := n.Event
	accounts := make([][]byte, len(e.Accounts))
	for i, a := range e.Accounts {
		accounts[i] = a.Bytes()
	}
	var amount, at any
	if e.Asset != "" {
		amount = numericU(e.Amount)
	}
	if e.At != 0 {
		at = int64(e.At)
	}
	return []any{int64(n.Height), int32(n.Position), int32(n.Index), hashOrNil(&n.TxHash), t, e.Kind, hashOrNil(&e.Record), accounts,
		addrOrNil(e.Bank), textOrNil(e.Asset), amount, at, textOrNil(e.Step), textOrNil(e.Ref), textOrNil(e.Reason)}
}

// blockMovements lists the block's balance movements (block 0: genesis).
func blockMovements(ctx context.Context, tx pgx.Tx, f *fetched, g *chain.Genesis) ([]placed, error) {
	if f.block.Header.Height == 0 {
		return genesisMovements(g)
	}
	amounts, err := escrowAmounts(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	whole := func(id common.Hash) (uint64, error) {
		v, ok := amounts[id]
		if !ok {
			return 0, fmt.Errorf("release of escrow %s, which was never opened", id)
		}
		return v, nil
	}
	var out []placed
	for _, n := range f.notices {
		ms, err := movements(n.Event, whole)
		if err != nil {
			return nil, fmt.Errorf("block %d event %s: %w", n.Height, n.ID, err)
		}
		for _, m := range ms {
			txh := n.TxHash
			out = append(out, placed{position: n.Position, idx: n.Index, kind: n.Event.Kind, txHash: &txh, movement: m})
		}
	}
	return out, nil
}

// escrowAmounts gives the whole amount of every escrow the block releases:
// opened in this block or read from the escrows table.
func escrowAmounts(ctx context.Context, tx pgx.Tx, f *fetched) (map[common.Hash]uint64, error) {
	out := map[common.Hash]uint64{}
	var ask [][]byte
	for _, n := range f.notices {
		switch n.Event.Kind {
		case chain.EventEscrowOpened:
			out[n.Event.Record] = n.Event.Amount
		case chain.EventEscrowReleased:
			if _, ok := out[n.Event.Record]; !ok {
				ask = append(ask, n.Event.Record.Bytes())
			}
		}
	}
	if len(ask) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, amount::text FROM escrows WHERE id = ANY($1)`, ask)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id []byte
		var amount string
		if err := rows.Scan(&id, &amount); err != nil {
			return nil, err
		}
		v, ok := new(big.Int).SetString(amount, 10)
		if !ok || !v.IsUint64() {
			return nil, fmt.Errorf("escrow %x amount %q", id, amount)
		}
		out[common.BytesToHash(id)] = v.Uint64()
	}
	return out, rows.Err()
}

// queueRecords writes the escrows and payouts the block's events open or end.
func queueRecords(b *pgx.Batch, f *fetched, h int64, t time.Time) {
	for _, n := range f.notices {
		e := n.Event
		switch e.Kind {
		case chain.EventEscrowOpened:
			var arbiter []byte
			if len(e.Accounts) > 2 {
				arbiter = e.Accounts[2].Bytes()
			}
			b.Queue(`INSERT INTO escrows (id, payer, payee, arbiter, bank, asset, amount, expiry, opened_height, opened_at, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open')`,
				e.Record.Bytes(), e.Accounts[0].Bytes(), e.Accounts[1].Bytes(), arbiter, e.Bank.Bytes(), e.Asset, numericU(e.Amount), msTime(e.At), h, t)
		case chain.EventEscrowReleased:
			b.Queue(`UPDATE escrows SET status = 'released', ended_height = $2, ended_at = $3, released = $4, returned = amount - $4, unlock_at = $5 WHERE id = $1`,
				e.Record.Bytes(), h, t, numericU(e.Amount), msTime(e.At))
			b.Queue(`INSERT INTO locks (address, asset, unlock_ms, unlock_at, amount) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (address, asset, unlock_ms) DO UPDATE SET amount = locks.amount + excluded.amount`,
				e.Accounts[1].Bytes(), e.Asset, int64(e.At), msTime(e.At), numericU(e.Amount))
		case chain.EventEscrowRefunded, chain.EventEscrowExpired:
			status := "refunded"
			if e.Kind == chain.EventEscrowExpired {
				status = "expired"
			}
			b.Queue(`UPDATE escrows SET status = $2, ended_height = $3, ended_at = $4, returned = amount WHERE id = $1`, e.Record.Bytes(), status, h, t)
		case chain.EventWithdrawal:
			b.Queue(`INSERT INTO payouts (id, account, bank, asset, amount, height, time) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				e.Record.Bytes(), e.Accounts[0].Bytes(), e.Bank.Bytes(), e.Asset, numericU(e.Amount), h, t)
		default:
			queueRequest(b, n, h, t)
		}
	}
}

// queueRequest writes a payment request event: its opening inserts the
// row (Accounts are payer and merchant, Step the settlement mode, At the
// expiry), its end sets the status. A request paid into escrow opened the
// escrow whose id is the accept's hash.
func queueRequest(b *pgx.Batch, n chain.Notice, h int64, t time.Time) {
	e := n.Event
	end := func(status string, payment, escrow []byte) {
		b.Queue(`UPDATE payment_requests SET status = $2, ended_height = $3, ended_at = $4, payment = $5, escrow = $6, reason = $7 WHERE id = $1`,
			e.Record.Bytes(), status, h, t, payment, escrow, nullable(e.Reason))
	}
	switch e.Kind {
	case chain.EventRequestOpened:
		b.Queue(`INSERT INTO payment_requests (id, payer, merchant, asset, amount, ref, mode, expiry, created_height, created_at, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open')`,
			e.Record.Bytes(), e.Accounts[0].Bytes(), e.Accounts[1].Bytes(), e.Asset, numericU(e.Amount), e.Ref, e.Step, msTime(e.At), h, t)
	case chain.EventRequestPaid:
		var escrow []byte
		if e.Step == chain.SettleEscrow.String() {
			escrow = n.TxHash.Bytes()
		}
		end("paid", n.TxHash.Bytes(), escrow)
	case chain.EventRequestDeclined:
		end("declined", nil, nil)
	case chain.EventRequestCancelled:
		end("cancelled", nil, nil)
	case chain.EventRequestExpired:
		end("expired", nil, nil)
	}
}

// nullable is s, or SQL NULL when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeSnapshots replaces what the node reported of the accounts and
// records the block touched, set by set: one upsert of the accounts, then
// their balances and locks, and the records' steps, deleted and copied in.
func writeSnapshots(ctx context.Context, tx pgx.Tx, f *fetched, h int64) error {
	var addrs, banks, wkeys [][]byte
	var nonces []int64
	var balances [][]any
	for addr, a := range f.accounts {
		var wkey []byte
		if a.WithdrawalKey != nil {
			wkey = a.WithdrawalKey.Bytes()
		}
		addrs, banks, wkeys, nonces = append(addrs, addr.Bytes()), append(banks, a.Bank.Bytes()), append(wkeys, wkey), append(nonces, int64(a.Nonce))
		for _, bal := range a.Balances {
			free := new(big.Int).Add(new(big.Int).SetUint64(bal.AvailableUnits), new(big.Int).SetUint64(bal.LockedUnits))
			balances = append(balances, []any{addr.Bytes(), bal.Asset, numeric(free), numericU(bal.HeldUnits)})
		}
	}
	if len(addrs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (address, bank, nonce, withdrawal_key, first_height, last_height)
			SELECT a, b, n, w, $5, $5 FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bytea[]) AS u(a, b, n, w)
			ON CONFLICT (address) DO UPDATE SET bank = excluded.bank, nonce = excluded.nonce, withdrawal_key = excluded.withdrawal_key, last_height = excluded.last_height`,
			addrs, banks, nonces, wkeys, h); err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM balances WHERE address = ANY($1)`, addrs); err != nil {
			return err
		}
	}
	if err := copyRows(ctx, tx, "balances", []string{"address", "asset", "free", "held"}, balances); err != nil {
		return err
	}
	var records [][]byte
	var steps [][]any
	for id, e := range f.escrows {
		records, steps = append(records, id.Bytes()), appendSteps(steps, id, "escrow", e.Asset, &e.BankTrack)
	}
	for id, p := range f.payouts {
		records, steps = append(records, id.Bytes()), appendSteps(steps, id, "payout", p.Asset, &p.BankTrack)
	}
	if len(records) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM record_steps WHERE record = ANY($1)`, records); err != nil {
			return err
		}
	}
	return copyRows(ctx, tx, "record_steps", []string{"record", "step", "record_kind", "bank", "kind", "asset", "amount", "due", "matched_at", "matched_tx", "ref"}, steps)
}

func appendSteps(rows [][]any, id common.Hash, kind, asset string, t *rpc.BankTrack) [][]any {
	for i, s := range t.Steps {
		var matchedAt any
		var matchedTx []byte
		var ref *string
		if s.Matched {
			matchedAt, matchedTx, ref = msTime(s.MatchedAt), s.MatchedTx.Bytes(), &s.Ref
		}
		rows = append(rows, []any{id.Bytes(), int32(i), kind, t.Bank.Bytes(), s.Kind, asset, numericU(s.AmountUnits), msTime(s.Due), matchedAt, matchedTx, ref})
	}
	return rows
}

// copyRows bulk-loads rows with COPY (nothing when there are none).
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func numeric(v *big.Int) pgtype.Numeric { return pgtype.Numeric{Int: new(big.Int).Set(v), Valid: true} }
func numericU(v uint64) pgtype.Numeric  { return numeric(new(big.Int).SetUint64(v)) }
func msTime(ms uint64) time.Time        { return time.UnixMilli(int64(ms)).UTC() }

func hashOrNil(h *common.Hash) []byte {
	if h == nil || *h == (common.Hash{}) {
		return nil
	}
	return h.Bytes()
}

func addrOrNil(a common.Address) []byte {
	if a == (common.Address{}) {
		return nil
	}
	return a.Bytes()
}

func textOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
