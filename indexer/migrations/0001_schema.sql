-- Sovereign indexer schema, version 1. docs/INDEXER.md describes every
-- table. Addresses and hashes are bytea (20 and 32 bytes); amounts are
-- minor units as numeric(20,0) (a uint64 does not fit bigint); times are
-- block times, as timestamptz and as milliseconds since the Unix epoch.

-- One row: the last block fully written. It changes in the same database
-- transaction as that block's rows, so the tables always hold exactly the
-- blocks 0..height.
CREATE TABLE indexer_cursor (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    chain_id     text    NOT NULL,
    genesis_hash bytea   NOT NULL,
    height       bigint  NOT NULL,
    block_hash   bytea   NOT NULL
);

-- The chain's assets, from genesis: amount / 10 ^ decimals is the amount
-- in the asset's units.
CREATE TABLE assets (
    symbol   text    PRIMARY KEY,
    decimals integer NOT NULL
);

CREATE TABLE blocks (
    height      bigint      PRIMARY KEY,
    hash        bytea       NOT NULL UNIQUE,
    parent_hash bytea       NOT NULL,
    time        timestamptz NOT NULL,
    time_ms     bigint      NOT NULL,
    round       integer     NOT NULL,
    proposer    bytea       NOT NULL,
    reveal      bytea       NOT NULL,
    state_root  bytea       NOT NULL,
    tx_count    integer     NOT NULL,
    precommits  integer     NOT NULL  -- signatures in the block's commit certificate
);
CREATE INDEX blocks_time ON blocks (time);

CREATE TABLE transactions (
    hash     bytea   PRIMARY KEY,
    height   bigint  NOT NULL REFERENCES blocks,
    position integer NOT NULL,
    type     text    NOT NULL,
    sender   bytea   NOT NULL,
    nonce    bigint  NOT NULL,
    code     text    NOT NULL,    -- the receipt's code: '' when the ledger accepted it
    ok       boolean NOT NULL,
    asset    text,               -- body fields shared by many types, for SQL
    amount   numeric(20,0),
    recipient bytea,             -- transfer, mint: to; hold: payee
    record   bytea,              -- release, refund: escrow; feedback: record
    body     jsonb   NOT NULL,   -- the whole body as sov_getTransaction shows it
    size     integer NOT NULL,
    UNIQUE (height, position)
);
CREATE INDEX transactions_sender ON transactions (sender, height);
CREATE INDEX transactions_recipient ON transactions (recipient, height) WHERE recipient IS NOT NULL;

-- One per transaction, in block order, then the block's own (tx_hash null).
CREATE TABLE receipts (
    height      bigint  NOT NULL REFERENCES blocks,
    position    integer NOT NULL,
    tx_hash     bytea,
    ok          boolean NOT NULL,
    code        text    NOT NULL,
    event_count integer NOT NULL,
    PRIMARY KEY (height, position)
);

-- Every event of every final block, as sov_subscribe("accountEvents") and
-- webhooks deliver them: the receipts' events plus one derived from each
-- transaction (transfer, mint, burn, account_registered, tx_rejected).
-- (height, position, idx) is the notice id "height.position.idx".
CREATE TABLE events (
    height   bigint  NOT NULL REFERENCES blocks,
    position integer NOT NULL,
    idx      integer NOT NULL,
    tx_hash  bytea,
    time     timestamptz NOT NULL,
    kind     text    NOT NULL,
    record   bytea,
    accounts bytea[] NOT NULL,
    bank     bytea,
    asset    text,
    amount   numeric(20,0),
    at_ms    bigint,
    step     text,
    ref      text,
    reason   text,
    PRIMARY KEY (height, position, idx)
);
CREATE INDEX events_record ON events (record) WHERE record IS NOT NULL;
CREATE INDEX events_kind ON events (kind, height);

-- Bank feedback, matched or not: the feedback events.
CREATE VIEW feedback AS
    SELECT height, position, idx, tx_hash, time, bank, record, step AS kind, asset, amount, ref,
           kind = 'feedback_matched' AS matched, reason
    FROM events WHERE kind IN ('feedback_matched', 'feedback_exception');

-- Money moving between accounts and between an account's available, held
-- and locked parts, one row per account and asset an event moves; genesis
-- allocations at height 0. The sum of an account's rows is its total
-- (available + held + locked); a lock maturing into available is not a
-- movement (see locks).
CREATE TABLE balance_changes (
    height    bigint  NOT NULL,
    position  integer NOT NULL,
    idx       integer NOT NULL,
    account   bytea   NOT NULL,
    asset     text    NOT NULL,
    available numeric(21,0) NOT NULL,
    held      numeric(21,0) NOT NULL,
    locked    numeric(21,0) NOT NULL,
    kind      text    NOT NULL,
    tx_hash   bytea,
    time      timestamptz NOT NULL,
    PRIMARY KEY (height, position, idx, account, asset)
);
CREATE INDEX balance_changes_account ON balance_changes (account, asset, height);

-- Accounts as the node reports them (sov_getAccount), read when the
-- indexer writes a block that touches them: the latest values the node
-- had then, never older than that block.
CREATE TABLE accounts (
    address        bytea  PRIMARY KEY,
    bank           bytea  NOT NULL,
    nonce          bigint NOT NULL,
    withdrawal_key bytea,
    first_height   bigint NOT NULL,  -- genesis (0) or the block that first touched it
    last_height    bigint NOT NULL   -- the last block that touched it
);
-- held, and free = available + locked: neither changes when a lock
-- matures, so they are exact whenever the node is read.
CREATE TABLE balances (
    address bytea NOT NULL REFERENCES accounts,
    asset   text  NOT NULL,
    free    numeric(20,0) NOT NULL,
    held    numeric(20,0) NOT NULL,
    PRIMARY KEY (address, asset)
);

-- Released escrow funds in their protection period, from the
-- escrow_released events (releases due in one unlock bucket share a row,
-- as in the ledger). Rows stay after unlock_at: they are history.
CREATE TABLE locks (
    address   bytea  NOT NULL,
    asset     text   NOT NULL,
    unlock_ms bigint NOT NULL,
    unlock_at timestamptz NOT NULL,
    amount    numeric(20,0) NOT NULL,
    PRIMARY KEY (address, asset, unlock_ms)
);

-- Balances as the ledger reads them at the last indexed block's time:
-- locked is what is still in its protection period then.
CREATE VIEW account_balances AS
    SELECT b.address, b.asset, b.free - coalesce(l.locked, 0) AS available, b.held, coalesce(l.locked, 0) AS locked
    FROM balances b
    LEFT JOIN (SELECT address, asset, sum(amount) AS locked FROM locks
               WHERE unlock_at > (SELECT hb.time FROM indexer_cursor c JOIN blocks hb ON hb.height = c.height)
               GROUP BY address, asset) l USING (address, asset);

CREATE TABLE escrows (
    id            bytea PRIMARY KEY,   -- the hold transaction's hash
    payer         bytea NOT NULL,
    payee         bytea NOT NULL,
    arbiter       bytea,
    bank          bytea NOT NULL,      -- the payer's servicing bank, which reports on it
    asset         text  NOT NULL,
    amount        numeric(20,0) NOT NULL,
    expiry        timestamptz NOT NULL,
    opened_height bigint NOT NULL,
    opened_at     timestamptz NOT NULL,
    status        text  NOT NULL,      -- open | released | refunded | expired
    ended_height  bigint,
    ended_at      timestamptz,
    released      numeric(20,0) NOT NULL DEFAULT 0,
    returned      numeric(20,0) NOT NULL DEFAULT 0,
    unlock_at     timestamptz          -- released: when the payee's funds unlock
);
CREATE INDEX escrows_payer ON escrows (payer);
CREATE INDEX escrows_payee ON escrows (payee);
CREATE INDEX escrows_bank ON escrows (bank, opened_height);

CREATE TABLE payouts (
    id      bytea PRIMARY KEY,         -- the withdraw transaction's hash
    account bytea NOT NULL,
    bank    bytea NOT NULL,
    asset   text  NOT NULL,
    amount  numeric(20,0) NOT NULL,
    height  bigint NOT NULL,
    time    timestamptz NOT NULL
);
CREATE INDEX payouts_bank ON payouts (bank, height);

-- What each bank must report for each escrow and payout, with due times,
-- as the node reports the record (sov_getEscrow, sov_getPayout) when the
-- indexer writes a block that touches it. Overdue: not matched, due past.
CREATE TABLE record_steps (
    record      bytea   NOT NULL,
    step        integer NOT NULL,
    record_kind text    NOT NULL,    -- escrow | payout
    bank        bytea   NOT NULL,
    kind        text    NOT NULL,    -- hold_placed, debit_executed, hold_released, refund_executed, payout_executed
    asset       text    NOT NULL,
    amount      numeric(20,0) NOT NULL,
    due         timestamptz NOT NULL,
    matched_at  timestamptz,
    matched_tx  bytea,
    ref         text,
    PRIMARY KEY (record, step)
);
CREATE INDEX record_steps_open ON record_steps (bank, due) WHERE matched_at IS NULL;

-- Payment requests: not built yet. The payment-request issue fills this
-- table (a migration adds what it needs); it stays empty until then.
CREATE TABLE payment_requests (
    id             bytea PRIMARY KEY,
    payer          bytea,
    payee          bytea NOT NULL,
    asset          text  NOT NULL,
    amount         numeric(20,0) NOT NULL,
    status         text  NOT NULL,
    created_height bigint NOT NULL,
    updated_height bigint NOT NULL
);
