package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
)

// GovernanceReader reads the validator set of any height and the
// governance proposals (docs/adr/0060-governance.md).
type GovernanceReader interface {
	// ValidatorsAtErr is the validator set in force at a height: exact up
	// to the final height + 2, the latest approved set beyond.
	ValidatorsAtErr(height uint64) (*chain.ValidatorSet, error)
	// Proposals lists proposals, newest first, at most limit.
	Proposals(limit int) ([]chain.Proposal, error)
	// Proposal reads one proposal by id.
	Proposal(id common.Hash) (*chain.Proposal, bool, error)
	// SetChanges lists, for every change of the validator set up to the
	// final height, the block before it, that block's certificate and the
	// proof of the new set against its state root (ledger.VerifySetChange).
	SetChanges() ([]SetChangeStep, error)
}

// SetChangeStep is one change of the validator set, as a verifier without
// state follows it.
type SetChangeStep struct {
	Height uint64             // the first height of the new set
	Prev   *chain.Header      // the block before it
	Cert   *chain.Certificate // Prev's certificate, by the set before
	Nodes  [][]byte           // proof of chain.ValidatorSetKey(Height) against Prev's state root
}

// Bounds of sov_listProposals.
const (
	DefaultProposalLimit = 100
	MaxProposalLimit     = 1000
)

// ErrCodeProposalNotFound is sov_getProposal's not-found code.
const ErrCodeProposalNotFound = "proposal_not_found"

// ValidatorSet is the set in force at one height.
type ValidatorSet struct {
	Height     uint64      `json:"height"`
	Hash       common.Hash `json:"hash"` // what the header of that height carries as validators_hash
	TotalPower uint64      `json:"total_power"`
	Validators []Validator `json:"validators"`
}

// ProposalQuery selects proposals: by status ("open", "approved",
// "applied", "expired"; empty for all), at most Limit.
type ProposalQuery struct {
	Status string `json:"status,omitempty"`
	Limit  int    `json:"limit,omitempty"` // default 100, at most 1000
}

// Proposal is a governance proposal.
type Proposal struct {
	ID             common.Hash      `json:"id"`
	Kind           string           `json:"kind"` // add_validator | remove_validator | set_power | rotate_key | add_bank | remove_bank
	Address        common.Address   `json:"address"`
	Power          uint64           `json:"power,omitempty"`
	NewAddress     *common.Address  `json:"new_address,omitempty"`
	RevealTip      *common.Hash     `json:"reveal_tip,omitempty"`
	RevealLength   uint64           `json:"reveal_length,omitempty"`
	Name           string           `json:"name,omitempty"`
	PubKey         hexutil.Bytes    `json:"pubkey,omitempty"`
	Proposer       *common.Address  `json:"proposer,omitempty"` // absent for a removal that evidence opened
	Evidence       bool             `json:"evidence,omitempty"` // opened by equivocation evidence
	Height         uint64           `json:"height"`             // the block that opened it
	Deadline       uint64           `json:"deadline"`           // block time (ms)
	Approvals      []common.Address `json:"approvals"`
	ApprovingPower uint64           `json:"approving_power"` // in the set in force at the final height + 1
	TotalPower     uint64           `json:"total_power"`
	Status         string           `json:"status"`
	ApprovedAt     uint64           `json:"approved_at,omitempty"`
	EffectiveAt    uint64           `json:"effective_at,omitempty"`
}

// GetValidators is sov_getValidators: the set in force at a height
// (default: the final height). Public, as sov_chainInfo.
func (api *API) GetValidators(height *hexutil.Uint64) (*ValidatorSet, error) {
	h := api.b.Info().FinalHeight
	if height != nil {
		h = uint64(*height)
	}
	vs, err := api.b.ValidatorsAtErr(h)
	if err != nil {
		return nil, internalError("read validator set", err)
	}
	names := api.validatorNames()
	out := &ValidatorSet{Height: h, Hash: vs.Hash(), TotalPower: vs.TotalPower(), Validators: make([]Validator, len(vs.Validators))}
	for i, v := range vs.Validators {
		out.Validators[i] = Validator{Address: v.Address, Name: names[v.Address], Power: v.Power, RevealTip: v.RevealTip}
	}
	return out, nil
}

func (api *API) validatorNames() map[common.Address]string {
	names := make(map[common.Address]string)
	for _, v := range api.g.Validators {
		names[v.Address] = v.Name
	}
	return names
}

// ListProposals is sov_listProposals (public: the consortium's own
// governance).
func (api *API) ListProposals(q *ProposalQuery) ([]Proposal, error) {
	if q == nil {
		q = &ProposalQuery{}
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultProposalLimit
	}
	if limit < 1 || limit > MaxProposalLimit {
		return nil, invalidParams("limit %d: want 1 to %d", limit, MaxProposalLimit)
	}
	switch q.Status {
	case "", "open", "approved", "applied", "expired":
	default:
		return nil, invalidParams("status %q: want open, approved, applied or expired", q.Status)
	}
	ps, err := api.b.Proposals(MaxProposalLimit)
	if err != nil {
		return nil, internalError("list proposals", err)
	}
	vs, err := api.b.ValidatorsAtErr(api.b.Info().FinalHeight + 1)
	if err != nil {
		return nil, internalError("read validator set", err)
	}
	out := []Proposal{}
	for i := range ps {
		if len(out) == limit {
			break
		}
		if q.Status == "" || ps[i].Status.String() == q.Status {
			out = append(out, proposalJSON(&ps[i], vs))
		}
	}
	return out, nil
}

// GetProposal is sov_getProposal.
func (api *API) GetProposal(id common.Hash) (*Proposal, error) {
	p, ok, err := api.b.Proposal(id)
	if err != nil {
		return nil, internalError("read proposal", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeProposalNotFound, "proposal not found: %s", id.Hex())
	}
	vs, err := api.b.ValidatorsAtErr(api.b.Info().FinalHeight + 1)
	if err != nil {
		return nil, internalError("read validator set", err)
	}
	out := proposalJSON(p, vs)
	return &out, nil
}

func proposalJSON(p *chain.Proposal, vs *chain.ValidatorSet) Proposal {
	c := p.Change
	out := Proposal{ID: p.ID, Kind: c.Kind.String(), Address: c.Address, Power: c.Power, RevealLength: c.RevealLength, Name: c.Name,
		PubKey: c.PubKey, Evidence: len(p.Evidence) > 0, Height: p.Height, Deadline: p.Deadline, Approvals: p.Approvals,
		ApprovingPower: p.ApprovingPower(vs), TotalPower: vs.TotalPower(), Status: p.Status.String(),
		ApprovedAt: p.ApprovedAt, EffectiveAt: p.EffectiveAt}
	if out.Approvals == nil {
		out.Approvals = []common.Address{}
	}
	if c.NewAddress != (common.Address{}) {
		out.NewAddress = &c.NewAddress
	}
	if c.RevealTip != (common.Hash{}) {
		out.RevealTip = &c.RevealTip
	}
	if p.Proposer != (common.Address{}) {
		out.Proposer = &p.Proposer
	}
	return out
}

func (g *guardedAPI) GetValidators(ctx context.Context, height *hexutil.Uint64) (*ValidatorSet, error) {
	if _, err := g.check(ctx, "sov_getValidators", height); err != nil {
		return nil, err
	}
	return g.api.GetValidators(height)
}

func (g *guardedAPI) ListProposals(ctx context.Context, q *ProposalQuery) ([]Proposal, error) {
	if _, err := g.check(ctx, "sov_listProposals", q); err != nil {
		return nil, err
	}
	return g.api.ListProposals(q)
}

func (g *guardedAPI) GetProposal(ctx context.Context, id common.Hash) (*Proposal, error) {
	if _, err := g.check(ctx, "sov_getProposal", id); err != nil {
		return nil, err
	}
	return g.api.GetProposal(id)
}

// SetChange is one change of the validator set with what proves it to a
// verifier that trusts only the genesis: the header of the block before
// the change (its canonical encoding in header.rlp), that block's
// certificate by the set before, and the Merkle proof of the new set
// (state key chain.ValidatorSetKey(height)) against its state root.
type SetChange struct {
	Height      uint64          `json:"height"`
	Header      Header          `json:"header"`
	Certificate *Certificate    `json:"certificate"`
	Proof       []hexutil.Bytes `json:"proof"`
}

// GetSetChanges is sov_getSetChanges: every change of the validator set
// up to the final height, in order, each with its proof (public: what a
// wallet or a snapshot node needs to follow the set from genesis).
func (api *API) GetSetChanges() ([]SetChange, error) {
	steps, err := api.b.SetChanges()
	if err != nil {
		return nil, internalError("read set changes", err)
	}
	out := make([]SetChange, 0, len(steps))
	for _, s := range steps {
		h, err := header(s.Prev)
		if err != nil {
			return nil, internalError("encode header", err)
		}
		sc := SetChange{Height: s.Height, Header: h, Certificate: certificate(s.Cert), Proof: make([]hexutil.Bytes, len(s.Nodes))}
		for i, n := range s.Nodes {
			sc.Proof[i] = n
		}
		out = append(out, sc)
	}
	return out, nil
}

func (g *guardedAPI) GetSetChanges(ctx context.Context) ([]SetChange, error) {
	if _, err := g.check(ctx, "sov_getSetChanges"); err != nil {
		return nil, err
	}
	return g.api.GetSetChanges()
}
