package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Rules, each a stable name that findings carry. The order is the order in
// which a block is checked.
const (
	RuleGenesis        = "genesis"         // the genesis is the pinned one (and the stored one)
	RuleFile           = "file_format"     // the file's frames decode
	RuleTruncated      = "truncated"       // the file or chain ends early
	RuleHeight         = "height"          // each block is its parent's height + 1
	RuleChainID        = "chain_id"        // the header names the chain
	RuleParentHash     = "parent_hash"     // the header names its parent's hash
	RuleTime           = "time"            // block time strictly increases
	RuleValidatorsHash = "validators_hash" // the header names the validator set in force
	RuleCertificate    = "certificate"     // >2/3 of the power signed this block's hash and height
	RuleProposer       = "proposer"        // the proposer held the sovereign key at (height, round)
	RuleReveal         = "reveal"          // the proposer's reveal is its one valid hash-chain preimage
	RuleTxRoot         = "tx_root"         // the transactions hash to the header's root
	RuleTxSignature    = "tx_signature"    // every signature and co-signature recovers to an allowed signer
	RuleTxNonce        = "tx_nonce"        // every sender's nonces follow each other
	RuleTxValid        = "tx_valid"        // every transaction can be in a block (chain id, sender, size)
	RuleReceiptsRoot   = "receipts_root"   // re-executed receipts (codes, events) hash to the header's root
	RuleStateRoot      = "state_root"      // the re-executed state hashes to the header's root
	RuleBlockHash      = "block_hash"      // the re-executed header is the header
	RuleSupply         = "supply"          // per asset, available+held+locked = minted-burned
	RuleBalance        = "balance"         // no balance underflows; locked equals its locks
	RuleEscrowOnce     = "escrow_once"     // an escrow ends at most once, never beyond its hold
	RuleEscrowExpiry   = "escrow_expiry"   // an escrow is voided exactly when block time passes its expiry
	RuleLock           = "lock"            // locked funds are not spent before they unlock
	RuleStoredReceipts = "stored_receipts" // a data dir's receipts are the re-executed ones
	RuleStoredState    = "stored_state"    // a data dir's state is the re-executed state
)

var ruleText = map[string]string{
	RuleGenesis:        "genesis is the pinned genesis",
	RuleFile:           "chain data decodes",
	RuleTruncated:      "chain data is complete (ends with the last block's certificate)",
	RuleHeight:         "heights follow each other",
	RuleChainID:        "headers name the chain",
	RuleParentHash:     "headers link to their parent's hash",
	RuleTime:           "block time strictly increases",
	RuleValidatorsHash: "headers name the validator set in force",
	RuleCertificate:    "certificates: >2/3 of the power signed the block's hash and height",
	RuleProposer:       "proposer held the sovereign key for (height, round) by the seed",
	RuleReveal:         "reveals follow each proposer's hash chain",
	RuleTxRoot:         "transactions hash to the header's root",
	RuleTxSignature:    "transaction signatures and co-signatures",
	RuleTxNonce:        "sender nonces",
	RuleTxValid:        "transactions are includable (chain id, sender, size)",
	RuleReceiptsRoot:   "re-executed receipts and their codes match the header",
	RuleStateRoot:      "re-executed state root matches the header",
	RuleBlockHash:      "re-executed header is the block's header",
	RuleSupply:         "per asset: available + held + locked = minted - burned",
	RuleBalance:        "no negative balance; locked equals the sum of its locks",
	RuleEscrowOnce:     "no escrow ended twice or released beyond its hold",
	RuleEscrowExpiry:   "escrows voided exactly when block time passes their expiry",
	RuleLock:           "locked funds never spent before they unlock",
	RuleStoredReceipts: "stored receipts equal the re-executed ones (data dir)",
	RuleStoredState:    "stored state equals the re-executed state (data dir)",
}

var ruleOrder = []string{RuleGenesis, RuleFile, RuleTruncated, RuleHeight, RuleChainID, RuleParentHash, RuleTime,
	RuleValidatorsHash, RuleCertificate, RuleProposer, RuleReveal, RuleTxRoot, RuleTxSignature, RuleTxNonce,
	RuleTxValid, RuleReceiptsRoot, RuleStateRoot, RuleBlockHash, RuleSupply, RuleBalance, RuleEscrowOnce,
	RuleEscrowExpiry, RuleLock, RuleStoredReceipts, RuleStoredState}

// Finding is one failed check.
type Finding struct {
	Rule   string       `json:"rule"`
	Height uint64       `json:"height"`
	Tx     *common.Hash `json:"tx,omitempty"`
	Reason string       `json:"reason"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s at height %d", f.Rule, f.Height)
	if f.Tx != nil {
		s += fmt.Sprintf(", tx %s", f.Tx.Hex())
	}
	return s + ": " + f.Reason
}

// Check is one rule with how often it was checked and how often it failed.
type Check struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Checked     uint64 `json:"checked"`
	Failed      uint64 `json:"failed"`
}

// ChainFacts describe the audited chain.
type ChainFacts struct {
	ChainID     string      `json:"chain_id"`
	GenesisHash common.Hash `json:"genesis_hash"` // hash of block 0
	GenesisDoc  common.Hash `json:"genesis_document_hash"`
	GenesisTime time.Time   `json:"genesis_time"`
	Height      uint64      `json:"height"` // last block verified in full (with its certificate)
	HeadHash    common.Hash `json:"head_hash"`
	HeadTime    time.Time   `json:"head_time"`
	StateRoot   common.Hash `json:"state_root"`
	Blocks      uint64      `json:"blocks"`
	Txs         uint64      `json:"transactions"`
	Rejected    uint64      `json:"rejected_transactions"` // in blocks with a rejection code in their receipt
}

// ValidatorStats is one validator's part in the chain.
type ValidatorStats struct {
	Address     common.Address `json:"address"`
	Name        string         `json:"name"`
	Power       uint64         `json:"power"`
	Proposed    uint64         `json:"proposed"`     // blocks it produced
	HolderTurns uint64         `json:"holder_turns"` // heights where it held the key at round 0
	Missed      uint64         `json:"missed"`       // rounds it held the key but another round's holder produced the block
	Signed      uint64         `json:"signed"`       // certificates carrying its signature
}

// KeyStep is who held the sovereign key at one height.
type KeyStep struct {
	Height   uint64         `json:"height"`
	Round    uint32         `json:"round"`
	Proposer common.Address `json:"proposer"`
}

// BankStats is one member bank's reconciliation over the whole history.
type BankStats struct {
	Bank       common.Address `json:"bank"`
	Name       string         `json:"name"`
	Matched    uint64         `json:"matched"`
	Waiting    uint64         `json:"waiting"`
	Overdue    uint64         `json:"overdue"`
	Mismatched uint64         `json:"mismatched"` // flagged records and feedback naming no record
}

// AssetSupply is an asset's totals at the audited head.
type AssetSupply struct {
	Asset       string `json:"asset"`
	Minted      uint64 `json:"minted,string"`
	Burned      uint64 `json:"burned,string"`
	Outstanding uint64 `json:"outstanding,string"` // available + held + locked over all accounts
}

// EvidenceRecord is evidence of equivocation accepted on chain.
type EvidenceRecord struct {
	Height    uint64         `json:"height"`
	Tx        common.Hash    `json:"tx"`
	Validator common.Address `json:"validator"`
	VoteType  uint8          `json:"vote_type"`
	At        uint64         `json:"at_height"`
	Round     uint32         `json:"at_round"`
}

// Report is everything an audit found.
type Report struct {
	Source     string           `json:"source"`
	Passed     bool             `json:"passed"`
	Stopped    string           `json:"stopped,omitempty"` // why the audit stopped before the end
	Chain      ChainFacts       `json:"chain"`
	Checks     []Check          `json:"checks"`
	Findings   []Finding        `json:"findings"`
	Validators []ValidatorStats `json:"validators"`
	KeyPath    []KeyStep        `json:"key_path"` // the last heights' key holders
	Banks      []BankStats      `json:"banks"`
	Supply     []AssetSupply    `json:"supply"`
	Evidence   []EvidenceRecord `json:"evidence"`
	StartedAt  time.Time        `json:"started_at"`
	Seconds    float64          `json:"seconds"`
	TxPerSec   float64          `json:"tx_per_second"`
}

// First is the first finding, or nil.
func (r *Report) First() *Finding {
	if len(r.Findings) == 0 {
		return nil
	}
	return &r.Findings[0]
}

// Find returns the findings of a rule.
func (r *Report) Find(rule string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDir writes report.json and report.html into dir.
func (r *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{"report.json": r.WriteJSON, "report.html": r.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// WriteSummary writes the human summary for a terminal.
func (r *Report) WriteSummary(w io.Writer) {
	verdict := "PASSED: every check verified"
	if !r.Passed {
		verdict = fmt.Sprintf("FAILED: %d finding(s)", len(r.Findings))
	}
	c := r.Chain
	fmt.Fprintf(w, "audit of %s\n", r.Source)
	fmt.Fprintf(w, "  chain %s, genesis %s\n", c.ChainID, c.GenesisHash.Hex())
	fmt.Fprintf(w, "  verified to height %d (%s), %d blocks, %d transactions (%d rejected into receipts)\n",
		c.Height, c.HeadTime.UTC().Format(time.RFC3339), c.Blocks, c.Txs, c.Rejected)
	fmt.Fprintf(w, "  %.1f s, %.0f tx/s\n", r.Seconds, r.TxPerSec)
	for _, ch := range r.Checks {
		mark := "ok  "
		if ch.Failed > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-16s %10d  %s\n", mark, ch.Rule, ch.Checked, ch.Description)
	}
	if len(r.Supply) > 0 {
		var parts []string
		for _, s := range r.Supply {
			parts = append(parts, fmt.Sprintf("%s outstanding %d (minted %d, burned %d)", s.Asset, s.Outstanding, s.Minted, s.Burned))
		}
		fmt.Fprintf(w, "  supply: %s\n", strings.Join(parts, "; "))
	}
	for _, b := range r.Banks {
		fmt.Fprintf(w, "  bank %s (%s): %d matched, %d waiting, %d overdue, %d mismatched\n", b.Name, b.Bank.Hex(), b.Matched, b.Waiting, b.Overdue, b.Mismatched)
	}
	if len(r.Evidence) > 0 {
		fmt.Fprintf(w, "  evidence of equivocation on chain: %d record(s)\n", len(r.Evidence))
	}
	fmt.Fprintln(w, verdict)
	if f := r.First(); f != nil {
		fmt.Fprintf(w, "first failure: %s\n", f)
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", r.Stopped)
	}
}

// checks tallies how often each rule was checked and failed.
type checks map[string]*Check

func (c checks) pass(rule string, n uint64) { c.get(rule).Checked += n }

func (c checks) get(rule string) *Check {
	ch, ok := c[rule]
	if !ok {
		ch = &Check{Rule: rule, Description: ruleText[rule]}
		c[rule] = ch
	}
	return ch
}

func (c checks) list() []Check {
	out := make([]Check, 0, len(c))
	for _, rule := range ruleOrder {
		if ch, ok := c[rule]; ok {
			out = append(out, *ch)
		}
	}
	return out
}
