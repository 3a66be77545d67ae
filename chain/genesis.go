package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// Genesis is the chain's founding document: who the validators and member
// banks are, which assets exist, which accounts start funded, and the
// ledger's parameters. Its JSON form is the only one; the genesis block is
// derived from it purely (ToBlock) and committed separately (Store.InitGenesis).
type Genesis struct {
	ChainID    string             `json:"chain_id"`
	Time       time.Time          `json:"genesis_time"`
	DevSeed    string             `json:"dev_seed,omitempty"` // set only on development chains: their keys derive from it and are INSECURE
	Params     Params             `json:"params"`
	Assets     []GenesisAsset     `json:"assets"`
	Banks      []GenesisBank      `json:"banks"`
	Validators []GenesisValidator `json:"validators"`
	Accounts   []GenesisAccount   `json:"accounts"`
}

// Params are the chain-wide rules that every node must share.
type Params struct {
	BlockMaxTxs        int      `json:"block_max_txs"`
	BlockMaxBytes      int      `json:"block_max_bytes"`
	EmptyBlockInterval Duration `json:"empty_block_interval"`
	MaxClockDrift      Duration `json:"max_clock_drift"`

	// ProtectionPeriod is how long funds released from an escrow stay
	// locked in the payee's account before they become available.
	ProtectionPeriod Duration `json:"protection_period"`
	// FeedbackDeadline is how long a bank has to report each step of a
	// record (hold placed, debit executed, payout executed, ...) before
	// the record is overdue.
	FeedbackDeadline Duration `json:"feedback_deadline"`
	// RequireHoldFeedback refuses a release until the payer's bank has
	// confirmed the hold (hold_placed feedback matched).
	RequireHoldFeedback bool `json:"require_hold_feedback"`
	// MaxExpiriesPerBlock caps the escrows one block voids at expiry; the
	// rest are carried over to the next blocks, in expiry order. Zero
	// means DefaultMaxExpiriesPerBlock (ExpiriesPerBlock).
	MaxExpiriesPerBlock int `json:"max_expiries_per_block,omitempty"`
	// AliasSalt salts the hashes under which aliases are bound
	// (chain/alias.go); empty: derived from the chain id.
	AliasSalt hexutil.Bytes `json:"alias_salt,omitempty"`
	// GovernanceDelay is how many blocks after its approval a governance
	// change takes effect; values below MinGovernanceDelay (and zero) mean
	// MinGovernanceDelay (chain/governance.go).
	GovernanceDelay uint64 `json:"governance_delay,omitempty"`
}

// DefaultMaxExpiriesPerBlock bounds the chain's own work at a block
// boundary: a million holds expiring at once take 500 blocks, none larger
// than a block of transactions (docs/adr/0032-bounded-block-work.md).
const DefaultMaxExpiriesPerBlock = 2000

// ExpiriesPerBlock is MaxExpiriesPerBlock, or its default when zero.
func (p Params) ExpiriesPerBlock() int {
	if p.MaxExpiriesPerBlock > 0 {
		return p.MaxExpiriesPerBlock
	}
	return DefaultMaxExpiriesPerBlock
}

// GenesisAsset is a tokenized deposit currency and the banks that issue it.
type GenesisAsset struct {
	Symbol   string           `json:"symbol"`
	Decimals uint8            `json:"decimals"`
	Issuers  []common.Address `json:"issuers"`
}

// GenesisBank is a member bank.
type GenesisBank struct {
	Address common.Address `json:"address"`
	Name    string         `json:"name"`
	// PubKey is the bank's uncompressed public key (0x04…, 65 bytes), to
	// which wallets encrypt payout details. Optional: when absent the chain
	// records it from the bank's first transaction.
	PubKey hexutil.Bytes `json:"pubkey,omitempty"`
}

// GenesisValidator is a validator and the tip of its first hash chain.
type GenesisValidator struct {
	Address   common.Address `json:"address"`
	Name      string         `json:"name,omitempty"`
	Power     uint64         `json:"power"`
	RevealTip common.Hash    `json:"reveal_tip"`
	// RevealLength is how many reveals the chain behind RevealTip holds.
	// Before they run out the validator commits its next chain's tip
	// (a commit_hash_chain transaction) and the chain switches to it.
	RevealLength uint64 `json:"reveal_length"`
}

// GenesisAccount is a pre-registered account with opening balances given as
// decimal strings in the asset's units.
type GenesisAccount struct {
	Address  common.Address    `json:"address"`
	Bank     common.Address    `json:"bank"`
	Role     string            `json:"role,omitempty"`
	Name     string            `json:"name,omitempty"`
	Balances map[string]string `json:"balances,omitempty"`
}

// Duration is a time.Duration written as "1s", "72h" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"1s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// DefaultParams are used for any parameter genesis leaves at zero.
var DefaultParams = Params{
	BlockMaxTxs:        10000,
	BlockMaxBytes:      4 << 20,
	EmptyBlockInterval: Duration(time.Second),
	MaxClockDrift:      Duration(2 * time.Second),
	ProtectionPeriod:   Duration(72 * time.Hour),
	FeedbackDeadline:   Duration(24 * time.Hour),
}

// LoadGenesis reads and validates a genesis file.
func LoadGenesis(path string) (*Genesis, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	g, err := ParseGenesis(raw)
	if err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return g, nil
}

// ParseGenesis decodes genesis JSON strictly (unknown fields are errors, so a
// typo cannot silently drop a rule) and validates it.
func ParseGenesis(raw []byte) (*Genesis, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	g := new(Genesis)
	if err := dec.Decode(g); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	g.fillDefaults()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *Genesis) fillDefaults() {
	p, d := &g.Params, DefaultParams
	if p.BlockMaxTxs == 0 {
		p.BlockMaxTxs = d.BlockMaxTxs
	}
	if p.BlockMaxBytes == 0 {
		p.BlockMaxBytes = d.BlockMaxBytes
	}
	if p.EmptyBlockInterval == 0 {
		p.EmptyBlockInterval = d.EmptyBlockInterval
	}
	if p.MaxClockDrift == 0 {
		p.MaxClockDrift = d.MaxClockDrift
	}
	if p.ProtectionPeriod == 0 {
		p.ProtectionPeriod = d.ProtectionPeriod
	}
	if p.FeedbackDeadline == 0 {
		p.FeedbackDeadline = d.FeedbackDeadline
	}
}

var (
	chainIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	symbolPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,11}$`)
)

// Validate checks every rule a genesis must meet; each error names its field.
func (g *Genesis) Validate() error {
	var p problems
	g.validateParams(&p)
	banks := g.validateBanks(&p)
	g.validateAssets(&p, banks)
	g.validateValidators(&p)
	g.validateAccounts(&p, banks)
	return errors.Join(p...)
}

// problems collects what is wrong with a genesis, one error per field.
type problems []error

func (p *problems) fail(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (g *Genesis) validateParams(p *problems) {
	fail := p.fail
	if !chainIDPattern.MatchString(g.ChainID) {
		fail("chain_id", "%q must be 1-64 lowercase letters, digits or dashes", g.ChainID)
	}
	if g.Time.IsZero() {
		fail("genesis_time", "missing")
	}
	if g.Params.BlockMaxTxs < 1 {
		fail("params.block_max_txs", "must be positive")
	}
	if g.Params.BlockMaxBytes < MaxTxBytes {
		fail("params.block_max_bytes", "must be at least %d", MaxTxBytes)
	}
	if g.Params.EmptyBlockInterval.Std() < 10*time.Millisecond {
		fail("params.empty_block_interval", "must be at least 10ms")
	}
	if g.Params.ProtectionPeriod < 0 {
		fail("params.protection_period", "must not be negative")
	}
	if g.Params.FeedbackDeadline < 0 {
		fail("params.feedback_deadline", "must not be negative")
	}
	if g.Params.MaxExpiriesPerBlock < 0 {
		fail("params.max_expiries_per_block", "must not be negative")
	}
	validateAliasSalt(p, g.Params.AliasSalt)
}

// validateBanks returns the member banks' addresses.
func (g *Genesis) validateBanks(p *problems) map[common.Address]bool {
	fail := p.fail
	banks := make(map[common.Address]bool)
	for i, b := range g.Banks {
		f := fmt.Sprintf("banks[%d]", i)
		if b.Address == (common.Address{}) {
			fail(f+".address", "missing")
		}
		if banks[b.Address] {
			fail(f+".address", "%s listed twice", b.Address)
		}
		if b.Name == "" {
			fail(f+".name", "missing")
		}
		if len(b.PubKey) > 0 {
			pub, err := crypto.UnmarshalPubkey(b.PubKey)
			switch {
			case err != nil:
				fail(f+".pubkey", "%v", err)
			case crypto.PubkeyToAddress(*pub) != b.Address:
				fail(f+".pubkey", "is the key of %s, not of the bank's address", crypto.PubkeyToAddress(*pub))
			}
		}
		banks[b.Address] = true
	}
	if len(g.Banks) == 0 {
		fail("banks", "at least one member bank is required")
	}
	return banks
}

func (g *Genesis) validateAssets(p *problems, banks map[common.Address]bool) {
	fail := p.fail
	assets := make(map[string]bool)
	for i, a := range g.Assets {
		f := fmt.Sprintf("assets[%d]", i)
		if !symbolPattern.MatchString(a.Symbol) {
			fail(f+".symbol", "%q must be 2-12 uppercase letters or digits", a.Symbol)
		}
		if assets[a.Symbol] {
			fail(f+".symbol", "%s listed twice", a.Symbol)
		}
		assets[a.Symbol] = true
		if a.Decimals > 18 {
			fail(f+".decimals", "%d is more than 18", a.Decimals)
		}
		if len(a.Issuers) == 0 {
			fail(f+".issuers", "at least one issuing bank is required")
		}
		for j, is := range a.Issuers {
			if !banks[is] {
				fail(fmt.Sprintf("%s.issuers[%d]", f, j), "%s is not a member bank", is)
			}
		}
	}
}

func (g *Genesis) validateValidators(p *problems) {
	fail := p.fail
	if len(g.Validators) == 0 {
		fail("validators", "at least one validator is required")
	}
	vals := make(map[common.Address]bool)
	for i, v := range g.Validators {
		f := fmt.Sprintf("validators[%d]", i)
		if v.Address == (common.Address{}) {
			fail(f+".address", "missing")
		}
		if vals[v.Address] {
			fail(f+".address", "%s listed twice", v.Address)
		}
		vals[v.Address] = true
		if v.Power == 0 {
			fail(f+".power", "must be positive")
		}
		if v.RevealLength == 0 {
			fail(f+".reveal_length", "must be positive")
		}
		if v.RevealTip == (common.Hash{}) {
			fail(f+".reveal_tip", "missing")
		}
	}
}

func (g *Genesis) validateAccounts(p *problems, banks map[common.Address]bool) {
	fail := p.fail
	accounts := make(map[common.Address]bool)
	for i, a := range g.Accounts {
		f := fmt.Sprintf("accounts[%d]", i)
		if a.Address == (common.Address{}) {
			fail(f+".address", "missing")
		}
		if accounts[a.Address] || banks[a.Address] {
			fail(f+".address", "%s listed twice (banks have accounts already)", a.Address)
		}
		accounts[a.Address] = true
		if !banks[a.Bank] {
			fail(f+".bank", "%s is not a member bank", a.Bank)
		}
		for _, sym := range slices.Sorted(maps.Keys(a.Balances)) {
			dec, ok := g.assetDecimals(sym)
			if !ok {
				fail(f+".balances."+sym, "unknown asset")
				continue
			}
			if _, err := ParseAmount(a.Balances[sym], dec); err != nil {
				fail(f+".balances."+sym, "%v", err)
			}
		}
	}
}

func (g *Genesis) assetDecimals(sym string) (uint8, bool) {
	for _, a := range g.Assets {
		if a.Symbol == sym {
			return a.Decimals, true
		}
	}
	return 0, false
}

// ValidatorSet is the genesis validator set.
func (g *Genesis) ValidatorSet() *ValidatorSet {
	vals := make([]Validator, len(g.Validators))
	for i, v := range g.Validators {
		vals[i] = Validator{Address: v.Address, Power: v.Power, RevealTip: v.RevealTip}
	}
	return NewValidatorSet(vals)
}

// Hash commits to the whole genesis document's canonical JSON encoding.
func (g *Genesis) Hash() common.Hash {
	raw, err := json.Marshal(g)
	if err != nil {
		panic(err)
	}
	return keccak(raw)
}
