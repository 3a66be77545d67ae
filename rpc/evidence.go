package rpc

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
)

// EvidenceReader lists the equivocation evidence the chain accepted.
type EvidenceReader interface {
	// EvidenceRecords lists accepted evidence by offender, then the
	// offence's height, round and vote type; only against offender when
	// given; at most limit records.
	EvidenceRecords(offender *common.Address, limit int) ([]chain.EvidenceRecord, error)
	// ProposalEvidenceRecords is the same for two conflicting proposals
	// signed by one key holder for one height and round.
	ProposalEvidenceRecords(offender *common.Address, limit int) ([]chain.ProposalEvidenceRecord, error)
}

// Bounds of sov_listEvidence.
const (
	DefaultEvidenceLimit = 100
	MaxEvidenceLimit     = 1000
)

// EvidenceQuery selects evidence: against one validator, or against all.
type EvidenceQuery struct {
	Offender *common.Address `json:"offender,omitempty"`
	Limit    int             `json:"limit,omitempty"` // default 100, at most 1000
}

// Evidence is one accepted proof of equivocation: a validator signed two
// different votes of one type at one height and round.
type Evidence struct {
	Offender   common.Address  `json:"offender"`
	Name       string          `json:"name,omitempty"` // the validator's name in genesis
	Vote       string          `json:"vote"`           // "prevote" or "precommit"; "proposal" for two proposals by one key holder
	Height     uint64          `json:"height"`         // where it equivocated
	Round      uint32          `json:"round"`
	Votes      [2]EvidenceVote `json:"votes"`
	Submitter  common.Address  `json:"submitter"`   // the account whose transaction carried it
	TxHash     common.Hash     `json:"tx_hash"`     // that transaction
	IncludedAt uint64          `json:"included_at"` // the height of the block that made it final
}

// EvidenceVote is one of the two conflicting signed votes.
type EvidenceVote struct {
	BlockHash common.Hash   `json:"block_hash"` // zero: a vote for nil
	Signature hexutil.Bytes `json:"signature"`
}

// ListEvidence lists accepted equivocation evidence (public: it names
// validators, whose conduct every member may check).
func (api *API) ListEvidence(q EvidenceQuery) ([]Evidence, error) {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultEvidenceLimit
	}
	if limit < 1 || limit > MaxEvidenceLimit {
		return nil, invalidParams("limit %d: want 1 to %d", limit, MaxEvidenceLimit)
	}
	recs, err := api.b.EvidenceRecords(q.Offender, limit)
	if err != nil {
		return nil, internalError("list evidence", err)
	}
	names := map[common.Address]string{}
	for _, v := range api.g.Validators {
		names[v.Address] = v.Name
	}
	out := make([]Evidence, 0, len(recs))
	for _, r := range recs {
		a, b := r.Evidence.A, r.Evidence.B
		e := Evidence{
			Offender: a.Validator, Name: names[a.Validator], Vote: a.Type.String(), Height: a.Height, Round: a.Round,
			Votes:     [2]EvidenceVote{{BlockHash: a.BlockHash, Signature: a.Sig}, {BlockHash: b.BlockHash, Signature: b.Sig}},
			Submitter: r.Submitter, TxHash: r.TxHash,
		}
		if err := api.includedAt(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	// Proposal equivocation (docs/adr/0060-governance.md) after the votes,
	// within the same limit.
	precs, err := api.b.ProposalEvidenceRecords(q.Offender, limit-len(out))
	if err != nil {
		return nil, internalError("list proposal evidence", err)
	}
	for _, r := range precs {
		a, b := r.Evidence.A, r.Evidence.B
		e := Evidence{
			Offender: a.Proposer, Name: names[a.Proposer], Vote: "proposal", Height: a.Height, Round: a.Round,
			Votes:     [2]EvidenceVote{{BlockHash: a.BlockHash, Signature: a.Sig}, {BlockHash: b.BlockHash, Signature: b.Sig}},
			Submitter: r.Submitter, TxHash: r.TxHash,
		}
		if err := api.includedAt(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// includedAt fills in the height of the block that made e's transaction final.
func (api *API) includedAt(e *Evidence) error {
	l, found, err := api.b.LookupTx(e.TxHash)
	if err != nil {
		return internalError("locate evidence transaction", err)
	}
	if found {
		e.IncludedAt = l.Height
	}
	return nil
}
