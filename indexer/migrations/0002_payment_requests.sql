-- Payment requests (docs/PAYMENTS.md): what a merchant asked a payer for,
-- and how it ended. Written from the request events of each block. It
-- replaces the empty placeholder of 0001.
DROP TABLE payment_requests;
CREATE TABLE payment_requests (
    id             bytea PRIMARY KEY,   -- the request transaction's hash
    merchant       bytea NOT NULL,
    payer          bytea NOT NULL,
    asset          text  NOT NULL,
    amount         numeric(20,0) NOT NULL,
    ref            text  NOT NULL,      -- the merchant's order reference
    mode           text  NOT NULL,      -- direct | escrow
    expiry         timestamptz NOT NULL,
    created_height bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    status         text  NOT NULL,      -- open | paid | declined | cancelled | expired
    ended_height   bigint,
    ended_at       timestamptz,
    payment        bytea,               -- paid: the accept transaction
    escrow         bytea,               -- paid into escrow: the escrow's id
    reason         text                 -- declined: the payer's reason code
);
CREATE INDEX payment_requests_payer ON payment_requests (payer, created_height);
CREATE INDEX payment_requests_merchant ON payment_requests (merchant, created_height);
CREATE INDEX payment_requests_open ON payment_requests (expiry) WHERE status = 'open';
