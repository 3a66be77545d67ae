package consensus

import (
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// roundWindow is how many rounds ahead of its own the machine keeps full
// vote sets for. Messages further ahead only count toward the round-skip
// rule (Algorithm 1 line 55); the latest such round per validator is kept
// and replayed when the machine gets there.
const roundWindow = 2

// maxAheadPerValidator bounds the messages kept per validator for a round
// beyond the window (a proposal and two votes).
const maxAheadPerValidator = 3

// maxBlocksPerRound bounds the blocks kept from one round's proposals: the
// first, plus a few an equivocating holder signed besides it.
const maxBlocksPerRound = 3

// knownBlock is a block seen at the current height.
type knownBlock struct {
	block    *chain.Block
	proposal *Proposal // a proposal that carried it, relayed to peers one height behind
	checked  bool      // valid(v) evaluated
	err      error     // why it is invalid
}

type timeoutKind uint8

const (
	timeoutPropose timeoutKind = iota + 1
	timeoutPrevote
	timeoutPrecommit
)

type timer struct {
	kind   timeoutKind
	height uint64
	round  uint32
	at     uint64
}

type aheadMsgs struct {
	round uint32
	msgs  []Message
}

type buffered struct {
	msg      Message
	verified bool
	signer   common.Address
}

// Machine is the sovereign-key consensus core for one node: Tendermint's
// Algorithm 1 as a deterministic state machine. It is not safe for
// concurrent use; the node drives it from one goroutine.
type Machine struct {
	cfg    Config
	vs     *chain.ValidatorSet // the set of the current height
	self   common.Address      // zero for an observer
	member bool                // self is in vs: this node votes and proposes at this height

	height     uint64
	round      uint32
	step       RoundStep
	seed       common.Hash
	order      []common.Address // key holders of this height by round
	lastCommit *chain.Certificate

	lockedRound int32
	lockedBlock common.Hash
	validRound  int32
	validBlock  common.Hash

	rounds     map[uint32]*roundState
	roundList  []uint32 // keys of rounds, sorted
	blocks     map[common.Hash]*knownBlock
	maxRound   map[common.Address]uint32 // highest round each validator sent a message for, this height
	skipDirty  bool
	ahead      map[common.Address]*aheadMsgs
	certOK     map[common.Hash]error // verified LastCommit certificates, by encoding hash
	future     []buffered            // next-height messages
	awaitBlock bool                  // a ProposeRequest for (height, round) is outstanding

	timers          []timer
	now             uint64
	nextRebroadcast uint64
	peerBehind      bool      // someone sent a message for height-1
	lastDecided     *Proposal // the proposal that carried block height-1

	safety      SafetyRecord
	safetyDirty bool

	// The watch after a start with lost signer state (see
	// Config.DoubleSignCheckHeights): heights still to watch, the highest
	// height at which a message signed with our key turned up, and whether
	// this height showed that the machine is behind.
	watchLeft   int
	ownSeen     uint64
	watchBehind bool
	validOut    *ValidValue // pending Ready.Valid

	// Pending output, drained by Ready/Advance.
	msgs      []Message
	commits   []Commit
	evidence  []Evidence
	propose   *ProposeRequest
	unapplied int // commits emitted and not yet acknowledged by Advance
}

// New starts a machine at start.Height. It may already have output (a
// ProposeRequest when this node holds the key for round 0).
func New(cfg Config, start StartState) (*Machine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if start.Height == 0 {
		return nil, fmt.Errorf("consensus start: height must be at least 1")
	}
	if start.Height > 1 {
		lc := start.LastCommit
		if lc == nil {
			return nil, fmt.Errorf("consensus start: height %d needs the certificate of block %d", start.Height, start.Height-1)
		}
		if lc.Height != start.Height-1 {
			return nil, fmt.Errorf("consensus start: last commit is for height %d, want %d", lc.Height, start.Height-1)
		}
		if err := lc.Verify(cfg.ChainID, cfg.setAt(lc.Height)); err != nil {
			return nil, fmt.Errorf("consensus start: last commit: %w", err)
		}
	}
	vs := cfg.setAt(start.Height)
	if vs.Size() == 0 || vs.TotalPower() == 0 {
		return nil, fmt.Errorf("consensus start: validator set of height %d is empty", start.Height)
	}
	if cfg.MaxBufferedMessages <= 0 {
		cfg.MaxBufferedMessages = 16 + 16*vs.Size()
	}
	m := &Machine{cfg: cfg, vs: vs, safety: SafetyRecord{LockedRound: -1, ValidRound: -1}}
	if cfg.Signer != nil {
		m.self = cfg.Signer.Address()
	}
	if start.Safety != nil {
		m.safety = *start.Safety
	}
	if start.SignerStateLost && m.isValidator() && cfg.DoubleSignCheckHeights > 0 {
		m.watchLeft = cfg.DoubleSignCheckHeights
	}
	m.nextRebroadcast = uint64(cfg.RebroadcastTicks)
	m.enterHeight(start.Height, start.Seed, start.LastCommit)
	m.restoreValid(start.Valid)
	m.process()
	return m, nil
}

func (m *Machine) isValidator() bool { return m.cfg.Signer != nil }

// canSign: a validator of the current height whose lost-signer-state
// watch is over.
func (m *Machine) canSign() bool { return m.isValidator() && m.member && m.watchLeft == 0 }

// holder is the key holder of round r at the current height.
func (m *Machine) holder(r uint32) common.Address { return m.order[int(r)%len(m.order)] }

// Tick advances logical time by one tick: timeouts fire and, every
// RebroadcastTicks, the machine re-sends its current messages.
func (m *Machine) Tick() {
	m.now++
	m.fireTimers()
	if m.now >= m.nextRebroadcast {
		m.rebroadcast()
		m.nextRebroadcast = m.now + uint64(m.cfg.RebroadcastTicks)
	}
	m.process()
}

// Step feeds one received message. It verifies the signature, that a
// proposal comes from its round's key holder, and the height; a message for
// the next height is kept in a bounded buffer. Errors wrap the sentinels of
// errors.go; ErrStale and ErrBufferFull are routine.
func (m *Machine) Step(msg Message) error {
	err := m.handle(msg)
	m.process()
	return err
}

// Propose answers a ProposeRequest with the block the node built. The
// machine checks it as any validator would (except App.ValidateBlock, which
// the node's builder is trusted to meet), signs the proposal and
// broadcasts it.
func (m *Machine) Propose(b *chain.Block) error {
	if m.watchLeft > 0 {
		return fmt.Errorf("%w: %d more heights to watch", ErrSignerWatch, m.watchLeft)
	}
	if !m.awaitBlock || m.step != StepPropose {
		return fmt.Errorf("%w: no outstanding propose request at height %d round %d", ErrNotHolder, m.height, m.round)
	}
	if b == nil || b.Header == nil {
		return fmt.Errorf("%w: nil block", ErrInvalidBlock)
	}
	if hd := b.Header; hd.Height != m.height || hd.Round != m.round || hd.Proposer != m.self {
		return fmt.Errorf("%w: block for height %d round %d by %s, asked for height %d round %d by %s",
			ErrInvalidBlock, hd.Height, hd.Round, hd.Proposer, m.height, m.round, m.self)
	}
	if err := m.checkBlock(b, false); err != nil {
		return err
	}
	if !m.safety.allows(m.height, m.round, StepPropose) {
		return fmt.Errorf("%w: already signed at height %d round %d step %s", ErrWouldDoubleSign, m.safety.Height, m.safety.Round, m.safety.Step)
	}
	m.awaitBlock = false
	m.blocks[b.Hash()] = &knownBlock{block: b, checked: true}
	if !m.signProposal(b, -1) {
		return fmt.Errorf("%w: signer refused the proposal", ErrWouldDoubleSign)
	}
	m.process()
	return nil
}

// Catchup feeds a block and its certificate obtained by sync, for the
// machine's current height. The machine verifies the certificate and the
// block's header (not App.ValidateBlock: a quorum already decided it) and
// decides it; it then appears in Ready.Committed like any decision.
func (m *Machine) Catchup(c Commit) error {
	if c.Block == nil || c.Block.Header == nil || c.Cert == nil {
		return fmt.Errorf("%w: catchup without block or certificate", ErrMalformed)
	}
	h := c.Block.Header.Height
	switch {
	case h < m.height:
		return fmt.Errorf("%w: catchup block %d, machine at height %d", ErrStale, h, m.height)
	case h > m.height:
		return fmt.Errorf("%w: catchup block %d, machine at height %d", ErrFuture, h, m.height)
	}
	if c.Cert.Height != h || c.Cert.BlockHash != c.Block.Hash() {
		return fmt.Errorf("%w: certificate for height %d block %s does not match block %d %s",
			ErrInvalidBlock, c.Cert.Height, c.Cert.BlockHash.TerminalString(), h, c.Block.Hash().TerminalString())
	}
	if err := m.verifyCert(c.Cert); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidBlock, err)
	}
	if err := m.checkBlock(c.Block, false); err != nil {
		return err
	}
	for _, cs := range c.Cert.Sigs {
		if cs.Validator == m.self {
			m.noteOwn(h)
		}
	}
	m.noteBehind() // a height decided by sync: the machine was behind
	m.decide(&knownBlock{block: c.Block, checked: true}, c.Cert)
	m.process()
	return nil
}

// HasReady reports whether Ready has anything to hand out.
func (m *Machine) HasReady() bool {
	return m.safetyDirty || m.validOut != nil || len(m.msgs) > 0 || len(m.commits) > 0 || len(m.evidence) > 0 || m.propose != nil
}

// Ready returns the pending side effects. Handle them in the order the
// package documentation gives, then call Advance with the same value.
func (m *Machine) Ready() Ready {
	var rd Ready
	if m.safetyDirty {
		s := m.safety
		s.Votes = append([]*Vote(nil), m.safety.Votes...)
		rd.Safety = &s
	}
	rd.Valid = m.validOut
	rd.Committed = append([]Commit(nil), m.commits...)
	rd.Messages = append([]Message(nil), m.msgs...)
	rd.Evidence = append([]Evidence(nil), m.evidence...)
	rd.Propose = m.propose
	return rd
}

// Advance acknowledges that rd (from the last Ready) has been handled.
func (m *Machine) Advance(rd Ready) {
	if rd.Safety != nil && rd.Safety.equal(&m.safety) {
		m.safetyDirty = false
	}
	if rd.Valid != nil && rd.Valid == m.validOut {
		m.validOut = nil
	}
	m.commits = drop(m.commits, len(rd.Committed))
	m.msgs = drop(m.msgs, len(rd.Messages))
	m.evidence = drop(m.evidence, len(rd.Evidence))
	if rd.Propose != nil && rd.Propose == m.propose {
		m.propose = nil
	}
	if len(rd.Committed) > 0 {
		m.unapplied -= len(rd.Committed)
		if m.unapplied < 0 {
			m.unapplied = 0
		}
		m.process() // blocks of the new height can now be validated
	}
}

func drop[T any](s []T, n int) []T {
	if n >= len(s) {
		return nil
	}
	return append([]T(nil), s[n:]...)
}

// Status reports where the machine is.
func (m *Machine) Status() Status {
	return Status{
		Height: m.height, Round: m.round, Step: m.step, Holder: m.holder(m.round), Seed: m.seed,
		LockedRound: m.lockedRound, LockedBlock: m.lockedBlock,
		ValidRound: m.validRound, ValidBlock: m.validBlock, Ticks: m.now,
		SignerWatch: m.watchLeft, OwnSignatureSeen: m.ownSeen,
	}
}

// enterHeight resets the per-height state and starts round 0, or resumes the
// round and lock of a safety record written at this height before a restart.
func (m *Machine) enterHeight(h uint64, seed common.Hash, lastCommit *chain.Certificate) {
	m.height, m.seed, m.lastCommit = h, seed, lastCommit
	m.vs = m.cfg.setAt(h)
	_, m.member = m.vs.Get(m.self)
	m.member = m.member && m.isValidator()
	m.order = m.vs.HolderOrder(seed)
	m.rounds = make(map[uint32]*roundState)
	m.roundList = m.roundList[:0]
	m.blocks = make(map[common.Hash]*knownBlock)
	m.maxRound = make(map[common.Address]uint32)
	m.ahead = make(map[common.Address]*aheadMsgs)
	m.certOK = make(map[common.Hash]error)
	m.skipDirty = false
	m.timers = m.timers[:0]
	m.lockedRound, m.lockedBlock, m.validRound, m.validBlock = -1, common.Hash{}, -1, common.Hash{}
	round := uint32(0)
	if m.isValidator() && m.safety.Height == h {
		round = m.safety.Round
		if m.safety.LockedBlock != (common.Hash{}) {
			m.lockedRound, m.lockedBlock = m.safety.LockedRound, m.safety.LockedBlock
		}
		if m.safety.ValidBlock != (common.Hash{}) {
			m.validRound, m.validBlock = m.safety.ValidRound, m.safety.ValidBlock
		}
	}
	m.startRound(round)
	if m.isValidator() && m.safety.Height == h {
		m.resumeVotes()
	}
	buf := m.future
	m.future = nil
	for _, b := range buf {
		if b.msg.Height() != h {
			continue
		}
		// Buffered while the set of h may not have been final yet: a
		// signer that is not a validator of h is dropped here.
		if _, ok := m.vs.Get(b.signer); !ok {
			continue
		}
		if b.verified && b.msg.Vote != nil {
			m.acceptVote(b.msg.Vote)
		} else {
			_ = m.handle(b.msg) // a bad buffered message is simply dropped
		}
	}
}

// resumeVotes is the restart inside a height: the votes signed in the
// recorded round and the one before are counted and sent again (they may
// never have left; rebroadcast keeps sending them),
// and the step moves past what was signed, which cannot be signed again.
func (m *Machine) resumeVotes() {
	for _, v := range m.safety.Votes {
		if v != nil && v.Height == m.height && (v.Round == m.round || v.Round+1 == m.round) && v.Validator == m.self && m.verifyVote(v) == nil {
			m.acceptVote(v)
			m.send(Message{Vote: v})
		}
	}
	switch m.safety.Step {
	case StepPrevote:
		m.step = StepPrevote
	case StepPrecommit:
		m.step = StepPrecommit
	}
}

// rs returns the state of round r, creating it.
func (m *Machine) rs(r uint32) *roundState {
	if s, ok := m.rounds[r]; ok {
		return s
	}
	s := newRoundState()
	m.rounds[r] = s
	i := sort.Search(len(m.roundList), func(i int) bool { return m.roundList[i] >= r })
	m.roundList = append(m.roundList, 0)
	copy(m.roundList[i+1:], m.roundList[i:])
	m.roundList[i] = r
	return s
}

func (m *Machine) send(msg Message) { m.msgs = append(m.msgs, msg) }

// validValue is the ValidValue for the current valid block, or nil.
func (m *Machine) validValue() *ValidValue {
	kb := m.blocks[m.validBlock]
	if m.validRound < 0 || kb == nil {
		return nil
	}
	v := &ValidValue{Round: uint32(m.validRound), Block: kb.block}
	if rs := m.rounds[uint32(m.validRound)]; rs != nil {
		v.Prevotes = rs.prevotes.forBlock(m.validBlock)
	}
	return v
}

// restoreValid brings back the valid block and its proof of lock after a
// restart, if they belong to the resumed height.
func (m *Machine) restoreValid(v *ValidValue) {
	if v == nil || v.Block == nil || v.Block.Header == nil || m.validRound < 0 ||
		v.Block.Hash() != m.validBlock || int32(v.Round) != m.validRound || v.Block.Header.Height != m.height {
		return
	}
	m.blocks[m.validBlock] = &knownBlock{block: v.Block}
	for _, pv := range v.Prevotes {
		if pv.Height == m.height && pv.Type == chain.VotePrevote && pv.Round == v.Round {
			_ = m.handleVote(pv)
		}
	}
	// The round started before the block was known; re-propose it now if
	// this node holds the key.
	if m.canSign() && m.holder(m.round) == m.self && m.step == StepPropose && m.safety.allows(m.height, m.round, StepPropose) {
		m.signProposal(v.Block, m.validRound)
	}
}
