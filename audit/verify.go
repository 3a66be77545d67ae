package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// Config adjusts an audit.
type Config struct {
	// Genesis pins the genesis the auditor was given; nil trusts the
	// source's (a data dir has none, so it needs one).
	Genesis *chain.Genesis
	// Store receives the re-executed chain: nil keeps only the state in
	// memory (ledger.NewReplayStore); import passes a fresh disk store, and
	// every verified block is then committed there with its certificate.
	Store ledger.Store
	// Progress, when set, is called after every block.
	Progress func(p Progress)
	// Lookahead is how many blocks are read and have their signers
	// recovered ahead of execution (default 4).
	Lookahead int
}

// Progress is how far an audit has come.
type Progress struct {
	Height, Txs uint64
	Done, Total int64 // of the source (bytes or blocks; Total 0: unknown)
	Elapsed     time.Duration
}

// keyPathLength is how many recent heights' key holders the report lists.
const keyPathLength = 64

// auditor is one run's state.
type auditor struct {
	cfg     Config
	src     Source
	stored  *ledger.DB // the source's own storage, when it has one
	l       *ledger.Ledger
	g       *chain.Genesis
	rep     *Report
	checks  checks
	inv     *invariants
	vstats  map[common.Address]*ValidatorStats
	excepts map[common.Address]uint64 // feedback naming no record, per bank
	prev    *chain.Header             // last block executed
	pending *ledger.Execution         // executed, waiting for its certificate
	start   time.Time
}

// stop is the error a block check returns after recording a finding: the
// chain cannot be verified past a block that fails.
var errStop = errors.New("audit stopped")

// Run audits src. The error is for failures of the audit itself (I/O, a
// broken store); what the chain gets wrong is in the report's findings.
func Run(ctx context.Context, src Source, cfg Config) (*Report, error) {
	if cfg.Lookahead <= 0 {
		cfg.Lookahead = 4
	}
	a := &auditor{cfg: cfg, src: src, checks: checks{}, vstats: map[common.Address]*ValidatorStats{},
		excepts: map[common.Address]uint64{}, start: time.Now()}
	a.rep = &Report{Source: src.Name(), StartedAt: a.start.UTC(), Findings: []Finding{}}
	if s, ok := src.(storedSource); ok {
		a.stored = s.DB()
	}
	err := a.run(ctx)
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	return a.rep, nil
}

func (a *auditor) fail(rule string, height uint64, tx *common.Hash, format string, args ...any) error {
	a.checks.get(rule).Checked++
	a.checks.get(rule).Failed++
	a.rep.Findings = append(a.rep.Findings, Finding{Rule: rule, Height: height, Tx: tx, Reason: fmt.Sprintf(format, args...)})
	return errStop
}

func (a *auditor) run(ctx context.Context) error {
	if err := a.openGenesis(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // the source is not read after Run returns
	blocks := a.pipeline(ctx, &wg)
	for it := range blocks {
		if it.err != nil {
			return a.sourceError(it.err)
		}
		a.checks.pass(RuleFile, 1)
		if err := a.block(it.b); err != nil {
			return err
		}
		if a.cfg.Progress != nil {
			done, total := a.src.Progress()
			a.cfg.Progress(Progress{Height: a.prev.Height, Txs: a.rep.Chain.Txs, Done: done, Total: total, Elapsed: time.Since(a.start)})
		}
	}
	return a.finalCertificate()
}

// sourceError turns a source's failure into a finding where it is the
// chain data's fault.
func (a *auditor) sourceError(err error) error {
	next := a.prev.Height + 1
	switch {
	case errors.Is(err, chainfile.ErrTruncated):
		return a.fail(RuleTruncated, next, nil, "%v", err)
	case errors.Is(err, chainfile.ErrMalformed), errors.Is(err, chain.ErrMalformed):
		return a.fail(RuleFile, next, nil, "%v", err)
	}
	return err
}

type item struct {
	b   *chain.Block
	err error
}

// pipeline reads blocks and recovers their transactions' signers (on every
// core, ledger.RecoverSigners) ahead of the sequential execution.
func (a *auditor) pipeline(ctx context.Context, wg *sync.WaitGroup) <-chan item {
	read := make(chan item, a.cfg.Lookahead)
	recovered := make(chan item, a.cfg.Lookahead)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(read)
		for {
			b, err := a.src.Next(ctx)
			if err == io.EOF {
				return
			}
			select {
			case read <- item{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer close(recovered)
		for it := range read {
			if it.b != nil {
				ledger.RecoverSigners(it.b.Txs)
			}
			select {
			case recovered <- it:
			case <-ctx.Done():
				return
			}
		}
	}()
	return recovered
}

func (a *auditor) openGenesis() error {
	g := a.src.Genesis()
	if pin := a.cfg.Genesis; pin != nil {
		if g != nil && g.Hash() != pin.Hash() {
			return a.fail(RuleGenesis, 0, nil, "the source's genesis document hashes to %s, the pinned genesis to %s", g.Hash(), pin.Hash())
		}
		g = pin
	}
	if g == nil {
		return fmt.Errorf("%s carries no genesis document: give the auditor one (--genesis)", a.src.Name())
	}
	if err := g.Validate(); err != nil {
		return a.fail(RuleGenesis, 0, nil, "genesis is not valid: %v", err)
	}
	store := a.cfg.Store
	if store == nil {
		store = ledger.NewReplayStore()
	}
	l, err := ledger.OpenLedger(store, g)
	if err != nil {
		return fmt.Errorf("open the re-execution ledger: %w", err)
	}
	a.l, a.g, a.prev = l, g, l.Head()
	if l.Head().Height != 0 {
		return fmt.Errorf("the store to import into already holds a chain (height %d)", l.Head().Height)
	}
	if a.stored != nil {
		h, ok, err := a.stored.GenesisHash()
		if err != nil {
			return err
		}
		if !ok || h != l.GenesisHash() {
			return a.fail(RuleGenesis, 0, nil, "the data dir's genesis block is %s, the genesis gives %s", h, l.GenesisHash())
		}
	}
	a.checks.pass(RuleGenesis, 1)
	c := &a.rep.Chain
	c.ChainID, c.GenesisHash, c.GenesisDoc, c.GenesisTime = g.ChainID, l.GenesisHash(), g.Hash(), g.Time.UTC()
	c.HeadHash, c.HeadTime, c.StateRoot = l.GenesisHash(), g.Time.UTC(), l.Head().StateRoot
	for _, v := range g.Validators {
		a.vstats[v.Address] = &ValidatorStats{Address: v.Address, Name: v.Name, Power: v.Power}
	}
	a.inv, err = newInvariants(l)
	return err
}

// block checks one block in order: its place in the chain, the certificate
// of its parent (which it carries), who produced it, its transactions, and
// then its re-execution and the invariants after it.
func (a *auditor) block(b *chain.Block) error {
	h, prev := b.Header, a.prev
	height := prev.Height + 1
	if h.Height != height {
		return a.fail(RuleHeight, height, nil, "block %d of the chain has height %d", height, h.Height)
	}
	a.checks.pass(RuleHeight, 1)
	if h.ChainID != a.g.ChainID {
		return a.fail(RuleChainID, height, nil, "header names chain %q, the genesis %q", h.ChainID, a.g.ChainID)
	}
	a.checks.pass(RuleChainID, 1)
	if h.Parent != prev.Hash() {
		return a.fail(RuleParentHash, height, nil, "parent %s, block %d is %s", h.Parent, prev.Height, prev.Hash())
	}
	a.checks.pass(RuleParentHash, 1)
	if h.Time <= prev.Time {
		return a.fail(RuleTime, height, nil, "time %d is not after the parent's %d", h.Time, prev.Time)
	}
	a.checks.pass(RuleTime, 1)
	// The set of each height comes from the re-executed state: the set
	// history that governance writes (ledger.ValidatorsAt), exact for this
	// height since the re-execution ledger holds block height-2.
	vs := a.l.ValidatorsAt(height)
	if h.ValidatorsHash != vs.Hash() {
		return a.fail(RuleValidatorsHash, height, nil, "validators hash %s, the set in force hashes to %s", h.ValidatorsHash, vs.Hash())
	}
	a.checks.pass(RuleValidatorsHash, 1)
	if height == 1 {
		if h.LastCommit != nil {
			return a.fail(RuleCertificate, 0, nil, "block 1 carries a certificate for the genesis")
		}
	} else if err := a.certify(h.LastCommit, prev); err != nil {
		return err
	}
	st := a.l.State()
	seed := st.Seed()
	if !consensus.IsRightfulProposer(vs, seed, h.Round, h.Proposer) {
		return a.fail(RuleProposer, height, nil, "proposer %s does not hold the sovereign key at round %d (%s does)", h.Proposer, h.Round, vs.Holder(seed, h.Round))
	}
	a.checks.pass(RuleProposer, 1)
	if err := a.l.VerifyReveal(h.Proposer, h.Reveal); err != nil {
		return a.fail(RuleReveal, height, nil, "%v", err)
	}
	a.checks.pass(RuleReveal, 1)
	a.participation(h, seed, vs)
	return a.execute(b)
}

// certify checks the certificate of block prev: right height and hash, and
// signatures from more than 2/3 of the power of the set in force there.
// Then prev is final and is committed.
func (a *auditor) certify(c *chain.Certificate, prev *chain.Header) error {
	switch {
	case c == nil:
		return a.fail(RuleCertificate, prev.Height, nil, "no certificate for block %d", prev.Height)
	case c.Height != prev.Height || c.BlockHash != prev.Hash():
		return a.fail(RuleCertificate, prev.Height, nil, "certificate is for block %d %s, not block %d %s", c.Height, c.BlockHash, prev.Height, prev.Hash())
	}
	vs := a.l.ValidatorsAt(c.Height) // the certificate's own height
	if err := c.Verify(a.g.ChainID, vs); err != nil {
		return a.fail(RuleCertificate, prev.Height, nil, "%v", err)
	}
	a.checks.pass(RuleCertificate, 1)
	for _, s := range c.Sigs {
		a.stats(s.Validator, vs).Signed++
	}
	if a.pending != nil {
		if err := a.l.Commit(a.pending.Block, c); err != nil {
			return fmt.Errorf("commit block %d: %w", prev.Height, err)
		}
		a.pending = nil
	}
	a.rep.Chain.Height, a.rep.Chain.HeadHash = prev.Height, prev.Hash()
	a.rep.Chain.HeadTime, a.rep.Chain.StateRoot = time.UnixMilli(int64(prev.Time)).UTC(), prev.StateRoot
	return nil
}

func (a *auditor) finalCertificate() error {
	if a.prev.Height == 0 {
		return nil
	}
	c := a.src.Final()
	if c == nil {
		return a.fail(RuleTruncated, a.prev.Height, nil, "the chain data ends without the certificate of its last block %d", a.prev.Height)
	}
	a.checks.pass(RuleTruncated, 1)
	return a.certify(c, a.prev)
}

// participation counts who produced the block and whose turns it skipped.
func (a *auditor) participation(h *chain.Header, seed common.Hash, vs *chain.ValidatorSet) {
	a.stats(h.Proposer, vs).Proposed++
	order := vs.HolderOrder(seed)
	a.stats(order[0], vs).HolderTurns++
	// Round r's holder is order[r mod n]: each round before the block's
	// was a turn its holder missed (counted without a loop over rounds, so a
	// hostile round number costs nothing).
	n := uint64(len(order))
	for i, v := range order {
		missed := uint64(h.Round) / n
		if uint64(i) < uint64(h.Round)%n {
			missed++
		}
		a.stats(v, vs).Missed += missed
	}
	a.rep.KeyPath = append(a.rep.KeyPath, KeyStep{Height: h.Height, Round: h.Round, Proposer: h.Proposer})
	if len(a.rep.KeyPath) > 2*keyPathLength {
		a.rep.KeyPath = append(a.rep.KeyPath[:0], a.rep.KeyPath[len(a.rep.KeyPath)-keyPathLength:]...)
	}
}

// execute re-runs the block with the ledger's own rules (as a proposer
// would build it from the same transactions, so that every transaction the
// ledger cannot include is named) and compares the result.
func (a *auditor) execute(b *chain.Block) error {
	h := b.Header
	built, ex, err := a.l.Build(ledger.BlockTemplate{Round: h.Round, Time: h.Time, Proposer: h.Proposer, Reveal: h.Reveal, LastCommit: h.LastCommit}, b.Txs)
	if err != nil {
		if errors.Is(err, ledger.ErrBadBlock) {
			return a.fail(RuleBlockHash, h.Height, nil, "the ledger refuses the block: %v", err)
		}
		return fmt.Errorf("execute block %d: %w", h.Height, err)
	}
	// The transactions root is checked on what the ledger included (one
	// hashing of the list); only when it left some out is the block's own
	// list hashed, to tell a changed block from a bad transaction.
	if len(ex.Dropped) > 0 || len(built.Txs) != len(b.Txs) {
		if root := ledger.TxRoot(b.Txs); root != h.TxRoot {
			return a.txRootFinding(h, root)
		}
	}
	for _, d := range ex.Dropped {
		txh := d.Tx.Hash()
		rule := RuleTxValid
		switch {
		case errors.Is(d.Err, chain.ErrBadSignature):
			rule = RuleTxSignature
		case errors.Is(d.Err, chain.ErrBadNonce), errors.Is(d.Err, chain.ErrNonceTooHigh):
			rule = RuleTxNonce
		}
		a.fail(rule, h.Height, &txh, "%v", d.Err)
	}
	if len(ex.Dropped) > 0 {
		return errStop
	}
	n := uint64(len(b.Txs))
	a.checks.pass(RuleTxSignature, n)
	a.checks.pass(RuleTxNonce, n)
	a.checks.pass(RuleTxValid, n)
	if len(built.Txs) != len(b.Txs) {
		return a.fail(RuleTxValid, h.Height, nil, "the block holds %d transactions, over the limits the ledger fits %d", len(b.Txs), len(built.Txs))
	}
	if built.Header.TxRoot != h.TxRoot {
		return a.txRootFinding(h, built.Header.TxRoot)
	}
	a.checks.pass(RuleTxRoot, 1)
	if built.Header.ReceiptRoot != h.ReceiptRoot {
		return a.fail(RuleReceiptsRoot, h.Height, a.firstReceiptDiff(h.Height, ex.Receipts), "re-executed receipts hash to %s, the header commits to %s", built.Header.ReceiptRoot, h.ReceiptRoot)
	}
	a.checks.pass(RuleReceiptsRoot, 1)
	if built.Header.StateRoot != h.StateRoot {
		return a.fail(RuleStateRoot, h.Height, nil, "re-executed state hashes to %s, the header commits to %s", built.Header.StateRoot, h.StateRoot)
	}
	a.checks.pass(RuleStateRoot, 1)
	if built.Hash() != b.Hash() {
		return a.fail(RuleBlockHash, h.Height, nil, "re-executed header hashes to %s, the block is %s", built.Hash(), b.Hash())
	}
	a.checks.pass(RuleBlockHash, 1)
	if a.stored != nil {
		if err := a.compareStoredReceipts(h.Height, ex.Receipts); err != nil {
			return err
		}
	}
	if err := a.inv.block(a, h, ex.Changes()); err != nil {
		return err
	}
	a.receipts(b, ex.Receipts)
	a.rep.Chain.Blocks++
	a.rep.Chain.Txs += n
	a.pending, a.prev = ex, built.Header
	return nil
}

func (a *auditor) txRootFinding(h *chain.Header, root common.Hash) error {
	return a.fail(RuleTxRoot, h.Height, nil, "the transactions hash to %s, the header commits to %s: a transaction was changed, added, removed or reordered", root, h.TxRoot)
}

// firstReceiptDiff names the first transaction whose stored receipt (data
// dir) differs from the re-executed one, when the source has receipts.
func (a *auditor) firstReceiptDiff(height uint64, rs []*chain.Receipt) *common.Hash {
	if a.stored == nil {
		return nil
	}
	stored, err := a.stored.Receipts(height)
	if err != nil {
		return nil
	}
	for i, r := range rs {
		if i >= len(stored) || !sameReceipt(r, stored[i]) {
			h := r.TxHash
			return &h
		}
	}
	return nil
}

func sameReceipt(x, y *chain.Receipt) bool {
	bx, _ := rlp.EncodeToBytes(x)
	by, _ := rlp.EncodeToBytes(y)
	return bytes.Equal(bx, by)
}

func (a *auditor) compareStoredReceipts(height uint64, rs []*chain.Receipt) error {
	stored, err := a.stored.Receipts(height)
	if err != nil {
		return a.fail(RuleStoredReceipts, height, nil, "stored receipts: %v", err)
	}
	if len(stored) != len(rs) {
		return a.fail(RuleStoredReceipts, height, nil, "%d receipts stored, re-execution gives %d", len(stored), len(rs))
	}
	for i := range rs {
		if !sameReceipt(rs[i], stored[i]) {
			h := rs[i].TxHash
			return a.fail(RuleStoredReceipts, height, &h, "stored receipt (code %q) differs from the re-executed one (code %q)", stored[i].Code, rs[i].Code)
		}
	}
	a.checks.pass(RuleStoredReceipts, 1)
	return nil
}

// receipts collects what the report lists from a block's receipts:
// rejections, accepted evidence and feedback naming no record.
func (a *auditor) receipts(b *chain.Block, rs []*chain.Receipt) {
	for i, r := range rs {
		if r.Code != "" {
			a.rep.Chain.Rejected++
		}
		for _, ev := range r.Events {
			if ev.Kind == chain.EventFeedbackException && ev.Reason == chain.ReasonRecordNotFound {
				a.excepts[ev.Bank]++
			}
		}
		if i < len(b.Txs) && r.Code == "" && b.Txs[i].Type() == chain.TxEvidence {
			if e, ok := b.Txs[i].Body().(chain.Evidence); ok {
				a.rep.Evidence = append(a.rep.Evidence, EvidenceRecord{Height: b.Height(), Tx: r.TxHash, Validator: e.A.Validator,
					VoteType: uint8(e.A.Type), At: e.A.Height, Round: e.A.Round})
			}
		}
	}
}

// stats is the participation record of validator v, made when a validator
// added by governance first appears (vs is the set it appears in).
func (a *auditor) stats(v common.Address, vs *chain.ValidatorSet) *ValidatorStats {
	st := a.vstats[v]
	if st == nil {
		val, _ := vs.Get(v)
		st = &ValidatorStats{Address: v, Power: val.Power}
		a.vstats[v] = st
	}
	return st
}
