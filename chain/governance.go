package chain

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Governance (docs/adr/0060-governance.md): the validator set and the
// member banks change by quorum. A validator proposes a change (GovPropose,
// which counts as its own approval), the others vote (GovVote); when the
// approving validators hold more than 2/3 of the power of the set in force,
// the change is approved at that height h and takes effect at
// h + max(2, Params.GovernanceDelay). A change to the validator set is
// written into the set history at approval time, so ValidatorsAt(E) is
// known to every node from block h on; the header of E carries the new
// set's hash.

// Transaction types of governance (issue 13 holds 20–27; 28–29 are kept free).
const (
	TxGovPropose       TxType = 30
	TxGovVote          TxType = 31
	TxProposalEvidence TxType = 32
)

// MinGovernanceDelay is the least distance, in blocks, between the block
// that approves a change and the block it takes effect in: with E ≥ h+2
// every node has committed the approving block h before it decides E-1, so
// it knows the set of E when it enters E.
const MinGovernanceDelay = 2

// MaxProposalWindow bounds a proposal's deadline: at most this far past the
// block time of the proposing block.
const MaxProposalWindow = 30 * 24 * time.Hour

// EvidenceProposalWindow is the deadline of the removal proposal that
// evidence opens, in block time after the evidence's block.
const EvidenceProposalWindow = 7 * 24 * time.Hour

// MaxOpenProposals bounds the proposals open at once, so the chain's work
// of expiring them at each block stays small.
const MaxOpenProposals = 64

// MinValidators is the floor under the validator set's size. A chain whose
// genesis had fewer keeps its genesis size as the floor.
const MinValidators = 4

// GovernanceDelayBlocks is Params.GovernanceDelay, at least MinGovernanceDelay.
func (p Params) GovernanceDelayBlocks() uint64 {
	return max(MinGovernanceDelay, p.GovernanceDelay)
}

// ChangeKind selects what a governance change does.
type ChangeKind uint8

const (
	ChangeAddValidator    ChangeKind = 1
	ChangeRemoveValidator ChangeKind = 2
	ChangeSetPower        ChangeKind = 3
	ChangeRotateKey       ChangeKind = 4
	ChangeAddBank         ChangeKind = 5
	ChangeRemoveBank      ChangeKind = 6
)

var changeKindNames = map[ChangeKind]string{
	ChangeAddValidator: "add_validator", ChangeRemoveValidator: "remove_validator", ChangeSetPower: "set_power",
	ChangeRotateKey: "rotate_key", ChangeAddBank: "add_bank", ChangeRemoveBank: "remove_bank",
}

func (k ChangeKind) String() string {
	if n, ok := changeKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("change_%d", uint8(k))
}

// ParseChangeKind is the inverse of String.
func ParseChangeKind(s string) (ChangeKind, bool) {
	for k, n := range changeKindNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Change is one governance change. Which fields count depends on Kind:
//
//   - add_validator: Address, Power, RevealTip, RevealLength;
//   - remove_validator: Address;
//   - set_power: Address, Power;
//   - rotate_key: Address (the old key), NewAddress, RevealTip and
//     RevealLength of the new key's hash chain; the power stays;
//   - add_bank: Address, Name, PubKey (optional, 65 bytes);
//   - remove_bank: Address.
type Change struct {
	Kind         ChangeKind
	Address      common.Address
	Power        uint64
	RevealTip    common.Hash
	RevealLength uint64
	NewAddress   common.Address
	Name         string
	PubKey       []byte
}

// Target is the validator or bank address the change is about: at most one
// open proposal per target.
func (c *Change) Target() common.Address { return c.Address }

// ChangesValidators reports whether the change touches the validator set
// (as opposed to the member banks).
func (c *Change) ChangesValidators() bool {
	return c.Kind >= ChangeAddValidator && c.Kind <= ChangeRotateKey
}

// NewValidator is the address a change brings into the validator set, if
// any: the added validator, or a rotated key's new address.
func (c *Change) NewValidator() (common.Address, bool) {
	switch c.Kind {
	case ChangeAddValidator:
		return c.Address, true
	case ChangeRotateKey:
		return c.NewAddress, true
	}
	return common.Address{}, false
}

// Validate checks the change's form (malformed).
func (c *Change) Validate() error {
	zero := common.Address{}
	if c.Address == zero {
		return Reject(ErrMalformed, "%s: address is zero", c.Kind)
	}
	switch c.Kind {
	case ChangeAddValidator, ChangeRotateKey:
		if c.RevealTip == (common.Hash{}) || c.RevealLength == 0 {
			return Reject(ErrMalformed, "%s: the hash-chain tip and length are required", c.Kind)
		}
		if c.Kind == ChangeAddValidator && c.Power == 0 {
			return Reject(ErrZeroPower, "add_validator: power must be positive")
		}
		if c.Kind == ChangeRotateKey && (c.NewAddress == zero || c.NewAddress == c.Address) {
			return Reject(ErrMalformed, "rotate_key: the new address must be set and differ from the old")
		}
	case ChangeSetPower:
		if c.Power == 0 {
			return Reject(ErrZeroPower, "set_power: power must be positive (remove the validator instead)")
		}
	case ChangeAddBank:
		if c.Name == "" || len(c.Name) > 64 {
			return Reject(ErrMalformed, "add_bank: name must be 1-64 bytes")
		}
		if len(c.PubKey) != 0 && len(c.PubKey) != 65 {
			return Reject(ErrMalformed, "add_bank: public key is %d bytes, want 65", len(c.PubKey))
		}
	case ChangeRemoveValidator, ChangeRemoveBank:
	default:
		return Reject(ErrMalformed, "change kind %d", c.Kind)
	}
	return nil
}

func (c Change) String() string {
	switch c.Kind {
	case ChangeAddValidator:
		return fmt.Sprintf("add validator %s with power %d", c.Address, c.Power)
	case ChangeSetPower:
		return fmt.Sprintf("set power of %s to %d", c.Address, c.Power)
	case ChangeRotateKey:
		return fmt.Sprintf("rotate key %s to %s", c.Address, c.NewAddress)
	case ChangeAddBank:
		return fmt.Sprintf("add bank %s (%s)", c.Address, c.Name)
	}
	return fmt.Sprintf("%s %s", c.Kind, c.Address)
}

// GovPropose proposes Change, open for votes until Deadline (block time in
// milliseconds). The proposal's id is this transaction's hash; the
// proposer's own approval is counted.
type GovPropose struct {
	Change   Change
	Deadline uint64
}

// GovVote approves an open proposal.
type GovVote struct {
	Proposal common.Hash
}

func (GovPropose) TxType() TxType { return TxGovPropose }
func (GovVote) TxType() TxType    { return TxGovVote }

// ProposalStatus is where a proposal is.
type ProposalStatus uint8

const (
	ProposalOpen     ProposalStatus = 1
	ProposalApproved ProposalStatus = 2 // approved, waiting for its effective height
	ProposalApplied  ProposalStatus = 3
	ProposalExpired  ProposalStatus = 4
)

var proposalStatusNames = map[ProposalStatus]string{
	ProposalOpen: "open", ProposalApproved: "approved", ProposalApplied: "applied", ProposalExpired: "expired",
}

func (s ProposalStatus) String() string { return statusName(proposalStatusNames, s) }

// Proposal is a governance proposal as state keeps it, under ProposalKey.
type Proposal struct {
	ID        common.Hash
	Change    Change
	Proposer  common.Address // zero for a proposal evidence opened
	Height    uint64         // block that opened it
	Deadline  uint64         // block time (ms)
	Approvals []common.Address
	Status    ProposalStatus
	// ApprovedAt and EffectiveAt are set once approved.
	ApprovedAt  uint64
	EffectiveAt uint64
	// Evidence is the evidence key that opened it (system proposals).
	Evidence []byte `rlp:"optional"`
}

// HasApproved reports whether a already approved p.
func (p *Proposal) HasApproved(a common.Address) bool {
	for _, x := range p.Approvals {
		if x == a {
			return true
		}
	}
	return false
}

// ApprovingPower is the power, in vs, of the validators that approved p;
// approvals by addresses no longer in vs count nothing.
func (p *Proposal) ApprovingPower(vs *ValidatorSet) uint64 {
	var power uint64
	for _, a := range p.Approvals {
		if v, ok := vs.Get(a); ok {
			power += v.Power
		}
	}
	return power
}

// OpenProposal is one entry of the open-proposal list (OpenProposalsKey):
// what the chain needs to expire proposals and to refuse a second one on the
// same target without reading each proposal.
type OpenProposal struct {
	ID       common.Hash
	Deadline uint64
	Target   common.Address
}

// ScheduledChanges is the list of approved proposals that take effect at one
// height (ScheduledKey).
type ScheduledChanges struct {
	IDs []common.Hash
}

// SetHistory is the list of heights at which the validator set changed (or
// will change: an approved change is recorded at approval), ascending. The
// set in force at height h is the one stored at the greatest listed height
// ≤ h, or the genesis set when there is none.
type SetHistory struct {
	Heights []uint64
}

// StoredValidatorSet is a validator set as state keeps it (ValidatorSetKey).
type StoredValidatorSet struct {
	Validators []Validator
}

// Governance state keys, under one prefix.
const PrefixGovernance = 'g'

// ProposalKey is the state key of a proposal.
func ProposalKey(id common.Hash) []byte { return append([]byte{PrefixGovernance, 'p'}, id[:]...) }

// OpenProposalsKey holds the list of open proposals.
var OpenProposalsKey = []byte{PrefixGovernance, 'o'}

// SetHistoryKey holds the set history.
var SetHistoryKey = []byte{PrefixGovernance, 'h'}

// ValidatorSetKey is the state key of the validator set in force from height.
func ValidatorSetKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{PrefixGovernance, 's'}, height)
}

// ScheduledKey is the state key of the changes that take effect at height.
func ScheduledKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{PrefixGovernance, 'e'}, height)
}

// EvidenceProposalID is the deterministic id of the removal proposal that
// evidence under evidenceKey opens.
func EvidenceProposalID(evidenceKey []byte) common.Hash {
	return keccak([]byte("remove"), evidenceKey)
}

// Governance events (receipts, subscriptions, webhooks). Stable names.
// Accounts: the target first, then the proposer or voter if any. Record is
// the proposal id; At the effective height where it is known.
const (
	EventProposalOpened   = "proposal_opened"
	EventProposalVoted    = "proposal_voted"
	EventProposalApproved = "proposal_approved"
	EventProposalApplied  = "proposal_applied"
	EventProposalExpired  = "proposal_expired"
)

// Governance rejections.
var (
	ErrProposalNotFound     = &RejectError{"proposal_not_found"}
	ErrProposalNotOpen      = &RejectError{"proposal_not_open"}
	ErrProposalExpired      = &RejectError{"proposal_expired"}
	ErrProposalPending      = &RejectError{"proposal_pending"}
	ErrTooManyProposals     = &RejectError{"too_many_proposals"}
	ErrAlreadyVoted         = &RejectError{"already_voted"}
	ErrBadDeadline          = &RejectError{"bad_deadline"}
	ErrZeroPower            = &RejectError{"zero_power"}
	ErrValidatorExists      = &RejectError{"validator_exists"}
	ErrUnknownValidator     = &RejectError{"unknown_validator"}
	ErrValidatorSetTooSmall = &RejectError{"validator_set_too_small"}
	ErrBankExists           = &RejectError{"bank_exists"}
	ErrUnknownBank          = &RejectError{"unknown_bank"}
)

func init() {
	AllRejectCodes = append(AllRejectCodes, ErrProposalNotFound, ErrProposalNotOpen, ErrProposalExpired,
		ErrProposalPending, ErrTooManyProposals, ErrAlreadyVoted, ErrBadDeadline, ErrZeroPower,
		ErrValidatorExists, ErrUnknownValidator, ErrValidatorSetTooSmall, ErrBankExists, ErrUnknownBank)
	txTypeNames[TxGovPropose] = "gov_propose"
	txTypeNames[TxGovVote] = "gov_vote"
	txTypeNames[TxProposalEvidence] = "proposal_evidence"
	bodyDecoders[TxGovPropose] = decodeAs[GovPropose]
	bodyDecoders[TxGovVote] = decodeAs[GovVote]
	bodyDecoders[TxProposalEvidence] = decodeAs[ProposalEvidence]
}

// ApplyChange returns the validator set after c, checked against the
// set's rules: no duplicate address, power > 0, at least floor validators.
// Changes to banks leave the set as it is.
func (vs *ValidatorSet) ApplyChange(c *Change, floor int) (*ValidatorSet, error) {
	if !c.ChangesValidators() {
		return vs, nil
	}
	vals := append([]Validator(nil), vs.Validators...)
	idx := -1
	for i, v := range vals {
		if v.Address == c.Address {
			idx = i
		}
	}
	switch c.Kind {
	case ChangeAddValidator:
		if idx >= 0 {
			return nil, Reject(ErrValidatorExists, "%s is already a validator", c.Address)
		}
		if c.Power == 0 {
			return nil, Reject(ErrZeroPower, "add_validator: power must be positive")
		}
		vals = append(vals, Validator{Address: c.Address, Power: c.Power, RevealTip: c.RevealTip})
	case ChangeRemoveValidator:
		if idx < 0 {
			return nil, Reject(ErrUnknownValidator, "%s is not a validator", c.Address)
		}
		if len(vals)-1 < floor {
			return nil, Reject(ErrValidatorSetTooSmall, "removing %s leaves %d validators, the floor is %d", c.Address, len(vals)-1, floor)
		}
		vals = append(vals[:idx], vals[idx+1:]...)
	case ChangeSetPower:
		if idx < 0 {
			return nil, Reject(ErrUnknownValidator, "%s is not a validator", c.Address)
		}
		if c.Power == 0 {
			return nil, Reject(ErrZeroPower, "set_power: power must be positive")
		}
		vals[idx].Power = c.Power
	case ChangeRotateKey:
		if idx < 0 {
			return nil, Reject(ErrUnknownValidator, "%s is not a validator", c.Address)
		}
		if _, taken := vs.Get(c.NewAddress); taken {
			return nil, Reject(ErrValidatorExists, "%s is already a validator", c.NewAddress)
		}
		vals[idx] = Validator{Address: c.NewAddress, Power: vals[idx].Power, RevealTip: c.RevealTip}
	}
	return NewValidatorSet(vals), nil
}

// ValidatorFloor is the least size the validator set may have on a chain
// whose genesis set had genesisSize validators.
func ValidatorFloor(genesisSize int) int { return min(MinValidators, genesisSize) }
