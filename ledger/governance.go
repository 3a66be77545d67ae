package ledger

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Governance rules (chain/governance.go, docs/adr/0060-governance.md).
//
// The validator set is state: the set history (chain.SetHistoryKey) lists
// the heights at which it changes, each with its set (chain.ValidatorSetKey);
// before the first listed height the genesis set is in force. A change is
// written into the history when it is approved, at its effective height E,
// so the set of every height up to head+2 is final once head is committed.

// Getter reads committed state values by key; (nil, nil) for an absent key.
type Getter interface {
	Get(key []byte) ([]byte, error)
}

// ValidatorsAt is the validator set in force at height h, read from
// committed state kv: the set stored at the greatest history height ≤ h, or
// genesis when there is none. It is exact for every h ≤ head+2 of the state
// kv holds (later approvals only add heights past that).
func ValidatorsAt(kv Getter, genesis *chain.ValidatorSet, h uint64) (*chain.ValidatorSet, error) {
	var hist chain.SetHistory
	if ok, err := getRLP(kv, chain.SetHistoryKey, &hist); err != nil || !ok {
		return genesis, err
	}
	at, ok := floorHeight(hist.Heights, h)
	if !ok {
		return genesis, nil
	}
	var set chain.StoredValidatorSet
	ok, err := getRLP(kv, chain.ValidatorSetKey(at), &set)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("set history names height %d but no set is stored there", at)
	}
	return chain.NewValidatorSet(set.Validators), nil
}

// SetHistory lists the heights at which the validator set changes, as of
// committed state kv.
func SetHistory(kv Getter) ([]uint64, error) {
	var hist chain.SetHistory
	_, err := getRLP(kv, chain.SetHistoryKey, &hist)
	return hist.Heights, err
}

func getRLP(kv Getter, key []byte, v any) (bool, error) {
	raw, err := kv.Get(key)
	if err != nil || raw == nil {
		return false, err
	}
	if err := rlp.DecodeBytes(raw, v); err != nil {
		return false, fmt.Errorf("decode state %x: %w", key, err)
	}
	return true, nil
}

// floorHeight is the greatest of heights (ascending) that is ≤ h.
func floorHeight(heights []uint64, h uint64) (uint64, bool) {
	i := sort.Search(len(heights), func(i int) bool { return heights[i] > h })
	if i == 0 {
		return 0, false
	}
	return heights[i-1], true
}

// ValidatorsAt is the set in force at height h as this working state sees
// it (committed state plus this block's writes).
func (s *State) ValidatorsAt(h uint64) *chain.ValidatorSet {
	hist, _ := load[chain.SetHistory](s, chain.SetHistoryKey)
	if hist == nil {
		return s.genesisSet()
	}
	at, ok := floorHeight(hist.Heights, h)
	if !ok {
		return s.genesisSet()
	}
	set, ok := load[chain.StoredValidatorSet](s, chain.ValidatorSetKey(at))
	if !ok {
		s.fail(fmt.Errorf("set history names height %d but no set is stored there", at))
		return chain.NewValidatorSet(nil)
	}
	return chain.NewValidatorSet(set.Validators)
}

func (s *State) genesisSet() *chain.ValidatorSet {
	if s.block.GenesisValidators == nil {
		return chain.NewValidatorSet(nil)
	}
	return s.block.GenesisValidators
}

// latestSet is the set after every change approved so far: the last
// history entry's, or the set in force now. New changes are checked
// against it and apply on top of it.
func (s *State) latestSet() (*chain.ValidatorSet, uint64) {
	hist, _ := load[chain.SetHistory](s, chain.SetHistoryKey)
	if hist == nil || len(hist.Heights) == 0 {
		return s.ValidatorsAt(s.block.Height), 0
	}
	last := hist.Heights[len(hist.Heights)-1]
	return s.ValidatorsAt(last), last
}

func (s *State) validatorFloor() int { return chain.ValidatorFloor(s.genesisSet().Size()) }

func (s *State) openProposals() []chain.OpenProposal {
	list, _ := load[[]chain.OpenProposal](s, chain.OpenProposalsKey)
	if list == nil {
		return nil
	}
	return slices.Clone(*list)
}

func (s *State) setOpenProposals(list []chain.OpenProposal) {
	if len(list) == 0 {
		s.del(chain.OpenProposalsKey)
		return
	}
	s.put(chain.OpenProposalsKey, &list)
}

// Proposal reads a governance proposal.
func (s *State) Proposal(id common.Hash) (*chain.Proposal, bool) {
	p, ok := load[chain.Proposal](s, chain.ProposalKey(id))
	if !ok {
		return nil, false
	}
	c := *p
	c.Approvals = slices.Clone(p.Approvals)
	return &c, true
}

func (s *State) setProposal(p *chain.Proposal) { s.put(chain.ProposalKey(p.ID), p) }

// precheckGovernance is what a governance transaction's sender must be:
// a validator of the set in force, and a well-formed change with a
// deadline inside the window.
func precheckGovernance(st *State, c txContext, body chain.Body) error {
	if _, ok := st.ValidatorsAt(st.block.Height).Get(c.sender); !ok {
		return chain.Reject(chain.ErrNotValidator, "%s is not a validator of height %d", c.sender, st.block.Height)
	}
	p, ok := body.(chain.GovPropose)
	if !ok {
		return nil
	}
	if err := p.Change.Validate(); err != nil {
		return err
	}
	window := uint64(chain.MaxProposalWindow.Milliseconds())
	if p.Deadline <= st.block.Time || p.Deadline > st.block.Time+window {
		return chain.Reject(chain.ErrBadDeadline, "deadline %d must be after the block time %d and within %s of it", p.Deadline, st.block.Time, chain.MaxProposalWindow)
	}
	return nil
}

func applyGovPropose(st *State, c txContext, b chain.GovPropose) error {
	p := &chain.Proposal{ID: c.hash, Change: b.Change, Proposer: c.sender, Height: st.block.Height,
		Deadline: b.Deadline, Approvals: []common.Address{c.sender}, Status: chain.ProposalOpen}
	return openProposal(st, p)
}

// openProposal checks p's change against the chain's rules and opens it,
// counting the approvals it already carries.
func openProposal(st *State, p *chain.Proposal) error {
	open := st.openProposals()
	if len(open) >= chain.MaxOpenProposals {
		return chain.Reject(chain.ErrTooManyProposals, "%d proposals are open", len(open))
	}
	for _, o := range open {
		if o.Target == p.Change.Address || (p.Change.NewAddress != (common.Address{}) && o.Target == p.Change.NewAddress) {
			return chain.Reject(chain.ErrProposalPending, "proposal %s about %s is open", o.ID, o.Target)
		}
	}
	if err := checkChange(st, &p.Change); err != nil {
		return err
	}
	approved, err := noteAndApprove(st, p, proposalEvent(chain.EventProposalOpened, p, p.Proposer))
	if err != nil {
		return err
	}
	if !approved {
		st.setOpenProposals(append(open, chain.OpenProposal{ID: p.ID, Deadline: p.Deadline, Target: p.Change.Address}))
	}
	st.setProposal(p)
	return nil
}

// checkChange refuses a change the rules forbid against the latest set
// (with every approved change applied) and the member banks.
func checkChange(st *State, ch *chain.Change) error {
	switch ch.Kind {
	case chain.ChangeAddBank:
		if _, ok := st.Bank(ch.Address); ok {
			return chain.Reject(chain.ErrBankExists, "%s is already a member bank", ch.Address)
		}
		return nil
	case chain.ChangeRemoveBank:
		if _, ok := st.Bank(ch.Address); !ok {
			return chain.Reject(chain.ErrUnknownBank, "%s is not a member bank", ch.Address)
		}
		return nil
	}
	latest, _ := st.latestSet()
	_, err := latest.ApplyChange(ch, st.validatorFloor())
	return err
}

func applyGovVote(st *State, c txContext, b chain.GovVote) error {
	p, ok := st.Proposal(b.Proposal)
	switch {
	case !ok:
		return chain.Reject(chain.ErrProposalNotFound, "%s", b.Proposal)
	case p.Status == chain.ProposalExpired:
		return chain.Reject(chain.ErrProposalExpired, "proposal %s expired at %d", p.ID, p.Deadline)
	case p.Status != chain.ProposalOpen:
		return chain.Reject(chain.ErrProposalNotOpen, "proposal %s is %s", p.ID, p.Status)
	case st.block.Time > p.Deadline:
		return chain.Reject(chain.ErrProposalExpired, "proposal %s's deadline %d has passed (block time %d)", p.ID, p.Deadline, st.block.Time)
	case p.HasApproved(c.sender):
		return chain.Reject(chain.ErrAlreadyVoted, "%s already approved %s", c.sender, p.ID)
	}
	p.Approvals = append(p.Approvals, c.sender)
	approved, err := noteAndApprove(st, p, proposalEvent(chain.EventProposalVoted, p, c.sender))
	if err != nil {
		return err
	}
	if approved {
		st.setOpenProposals(slices.DeleteFunc(st.openProposals(), func(o chain.OpenProposal) bool { return o.ID == p.ID }))
	}
	st.setProposal(p)
	return nil
}

// noteAndApprove emits ev (the proposal opened, or a vote) and then
// approves p if it now has the power; a refused approval takes ev back, as
// a refused transaction reports no events.
func noteAndApprove(st *State, p *chain.Proposal, ev chain.Event) (bool, error) {
	mark := len(st.events)
	st.emit(ev)
	approved, err := maybeApprove(st, p)
	if err != nil {
		st.events = st.events[:mark]
	}
	return approved, err
}

// maybeApprove approves p when its approvals hold more than 2/3 of the
// power of the set in force: the change is scheduled at E = height +
// GovernanceDelayBlocks and, for the validator set, written into the set
// history at E. It writes nothing when the change is no longer allowed.
func maybeApprove(st *State, p *chain.Proposal) (bool, error) {
	now := st.ValidatorsAt(st.block.Height)
	if !now.HasQuorum(p.ApprovingPower(now)) {
		return false, nil
	}
	if err := checkChange(st, &p.Change); err != nil {
		return false, err
	}
	latest, last := st.latestSet()
	effective := max(st.block.Height+st.block.Params.GovernanceDelayBlocks(), last)
	if p.Change.ChangesValidators() {
		next, err := latest.ApplyChange(&p.Change, st.validatorFloor())
		if err != nil {
			return false, err
		}
		recordSet(st, effective, next)
		if a, ok := p.Change.NewValidator(); ok {
			enrolValidator(st, a, p.Change.RevealTip, p.Change.RevealLength)
		}
	}
	sched, _ := load[chain.ScheduledChanges](st, chain.ScheduledKey(effective))
	ids := []common.Hash{p.ID}
	if sched != nil {
		ids = append(slices.Clone(sched.IDs), p.ID)
	}
	st.put(chain.ScheduledKey(effective), &chain.ScheduledChanges{IDs: ids})
	p.Status, p.ApprovedAt, p.EffectiveAt = chain.ProposalApproved, st.block.Height, effective
	st.emit(proposalEvent(chain.EventProposalApproved, p, common.Address{}))
	return true, nil
}

// recordSet stores set as the one in force from height on.
func recordSet(st *State, height uint64, set *chain.ValidatorSet) {
	hist, _ := load[chain.SetHistory](st, chain.SetHistoryKey)
	heights := []uint64{}
	if hist != nil {
		heights = slices.Clone(hist.Heights)
	}
	if n := len(heights); n == 0 || heights[n-1] != height {
		heights = append(heights, height)
	}
	st.put(chain.SetHistoryKey, &chain.SetHistory{Heights: heights})
	st.put(chain.ValidatorSetKey(height), &chain.StoredValidatorSet{Validators: set.Validators})
}

// enrolValidator gives a validator joining the set its reveal state (the
// first reveal must hash to tip) and an account to sign governance and
// evidence transactions from, unless it has them.
func enrolValidator(st *State, a common.Address, tip common.Hash, length uint64) {
	if _, ok := st.Validator(a); !ok {
		st.SetValidator(a, &chain.ValidatorState{LastReveal: tip, Length: length})
	}
	if !st.hasAccount(a) {
		st.SetAccount(a, &chain.Account{})
	}
}

// runGovernance is the chain's governance work at the start of a block:
// the changes scheduled at this height take effect (member banks change
// now; the validator set already reads the new set from the history), and
// open proposals whose deadline has passed expire.
func runGovernance(st *State) error {
	h := st.block.Height
	if sched, ok := load[chain.ScheduledChanges](st, chain.ScheduledKey(h)); ok {
		for _, id := range sched.IDs {
			p, ok := st.Proposal(id)
			if !ok {
				return fmt.Errorf("scheduled proposal %s is missing", id)
			}
			applyBankChange(st, &p.Change)
			p.Status = chain.ProposalApplied
			st.setProposal(p)
			st.emit(proposalEvent(chain.EventProposalApplied, p, common.Address{}))
		}
	}
	open := st.openProposals()
	kept := open[:0:0]
	for _, o := range open {
		if st.block.Time <= o.Deadline {
			kept = append(kept, o)
			continue
		}
		p, ok := st.Proposal(o.ID)
		if !ok {
			return fmt.Errorf("open proposal %s is missing", o.ID)
		}
		p.Status = chain.ProposalExpired
		st.setProposal(p)
		st.emit(proposalEvent(chain.EventProposalExpired, p, common.Address{}))
	}
	if len(kept) != len(open) {
		st.setOpenProposals(kept)
	}
	return st.Err()
}

// applyBankChange makes a member-bank change take effect. A bank added
// gets its own account, as a genesis bank does; a bank removed can no
// longer act as a bank (register, mint, feedback), while the accounts it
// serviced and its own account stay.
func applyBankChange(st *State, ch *chain.Change) {
	switch ch.Kind {
	case chain.ChangeAddBank:
		if _, ok := st.Bank(ch.Address); ok {
			return // added meanwhile another way; nothing to do
		}
		st.SetBank(&chain.BankInfo{Address: ch.Address, Name: ch.Name, PubKey: ch.PubKey})
		if !st.hasAccount(ch.Address) {
			st.SetAccount(ch.Address, &chain.Account{Bank: ch.Address})
		}
	case chain.ChangeRemoveBank:
		st.del(chain.BankKey(ch.Address))
	}
}

func proposalEvent(kind string, p *chain.Proposal, actor common.Address) chain.Event {
	ev := chain.Event{Kind: kind, Record: p.ID, Accounts: []common.Address{p.Change.Address}, At: p.EffectiveAt, Step: p.Change.Kind.String()}
	if actor != (common.Address{}) {
		ev.Accounts = append(ev.Accounts, actor)
	}
	return ev
}

// openEvidenceProposal opens the removal proposal for an offender that
// evidence under key proves equivocated, unless one about it is open or
// the rules forbid its removal now (the evidence stands either way). Its
// id is chain.EvidenceProposalID(key); no approval is counted yet: the
// validators' nodes vote for it.
func openEvidenceProposal(st *State, offender common.Address, key []byte) {
	if _, ok := st.latestSetHas(offender); !ok {
		return
	}
	p := &chain.Proposal{ID: chain.EvidenceProposalID(key), Change: chain.Change{Kind: chain.ChangeRemoveValidator, Address: offender},
		Height: st.block.Height, Deadline: st.block.Time + uint64(chain.EvidenceProposalWindow.Milliseconds()),
		Status: chain.ProposalOpen, Evidence: key}
	if _, exists := st.Proposal(p.ID); exists {
		return
	}
	_ = openProposal(st, p) // refused (pending, too small a set): the evidence is kept without one
}

func (s *State) latestSetHas(a common.Address) (chain.Validator, bool) {
	latest, _ := s.latestSet()
	return latest.Get(a)
}

// setCache keeps sets already read by height. Only heights ≤ head+2 are
// kept, whose set no later block can change.
type setCache struct {
	mu   sync.Mutex
	sets map[uint64]*chain.ValidatorSet
}

// ValidatorsAt is the validator set in force at height h: the set that
// proposes and votes at h and whose power signs h's certificate. It is
// exact for h ≤ head+2; a later height gets the latest set known now.
// On a storage failure it panics: consensus cannot go on without it.
func (l *Ledger) ValidatorsAt(h uint64) *chain.ValidatorSet {
	vs, err := l.ValidatorsAtErr(h)
	if err != nil {
		panic(fmt.Sprintf("read validator set of height %d: %v", h, err))
	}
	return vs
}

// ValidatorsAtErr is ValidatorsAt returning a storage failure instead.
func (l *Ledger) ValidatorsAtErr(h uint64) (*chain.ValidatorSet, error) {
	l.sets.mu.Lock()
	vs, ok := l.sets.sets[h]
	l.sets.mu.Unlock()
	if ok {
		return vs, nil
	}
	head := l.Head() // read the head first: the state read below is at least as new
	final := head != nil && h <= head.Height+2
	vs, err := ValidatorsAt(l.store.StateKV(), l.validators, h)
	if err != nil || !final {
		return vs, err
	}
	l.sets.mu.Lock()
	if l.sets.sets == nil || len(l.sets.sets) > 4096 {
		l.sets.sets = make(map[uint64]*chain.ValidatorSet)
	}
	l.sets.sets[h] = vs
	l.sets.mu.Unlock()
	return vs, nil
}

// ValidatorsAt is the validator set in force at height h as this store's
// committed state records it, given the chain's genesis set (the set
// before the first change). The set history is state, so a store restored
// from a snapshot answers it too.
func (s *DB) ValidatorsAt(genesis *chain.ValidatorSet, h uint64) (*chain.ValidatorSet, error) {
	return ValidatorsAt(s.StateKV(), genesis, h)
}
