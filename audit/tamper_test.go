package audit

import (
	"bytes"
	"crypto/ecdsa"
	"github.com/ethereum/go-ethereum/crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

func TestUntamperedChainPasses(t *testing.T) {
	raw := mixedChainFile(t)
	rep := audit(t, memSource(t, raw), Config{})
	if !rep.Passed {
		t.Fatalf("untampered chain fails: %v", rep.Findings)
	}
	c := rep.Chain
	if c.Height != 12 || c.Blocks != 12 || c.Txs == 0 || c.Rejected != 12+4 { // the overdrafts and the stray feedbacks
		t.Fatalf("chain facts %+v", c)
	}
	for _, rule := range []string{RuleCertificate, RuleProposer, RuleReveal, RuleTxSignature, RuleStateRoot, RuleReceiptsRoot, RuleSupply, RuleEscrowExpiry} {
		if ch := rep.checks(rule); ch == nil || ch.Checked == 0 || ch.Failed != 0 {
			t.Errorf("check %s: %+v", rule, ch)
		}
	}
	var proposers, signed, missed uint64
	for _, v := range rep.Validators {
		proposers += v.Proposed
		signed += v.Signed
		missed += v.Missed
	}
	if rep.KeyPath[6].Round != 2 || missed != 2 {
		t.Errorf("block 7 came in round 2: key path %+v, %d missed turns", rep.KeyPath[6], missed)
	}
	if proposers != 12 || signed != 12*4 {
		t.Errorf("participation: %d blocks produced, %d signatures, want 12 and 48: %+v", proposers, signed, rep.Validators)
	}
	bankA := rep.Banks[0]
	if bankA.Matched == 0 || bankA.Mismatched != 4 {
		t.Errorf("bank A reconciliation %+v, want matched records and 4 stray feedbacks mismatched", bankA)
	}
	if len(rep.Evidence) != 1 || rep.Evidence[0].Height != 5 || rep.Evidence[0].Validator != crypto.PubkeyToAddress(devnet.Key(devnet.Seed, "validator", 1).PublicKey) {
		t.Errorf("evidence on chain: %+v, want validator 1's equivocation at height 5", rep.Evidence)
	}
	dir := t.TempDir()
	if err := rep.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !bytes.Contains(page, []byte("PASSED")) || bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("http://")) {
		t.Error("report.html is not a self-contained passing page")
	}
}

func (r *Report) checks(rule string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Rule == rule {
			return &r.Checks[i]
		}
	}
	return nil
}

// TestTamperedChainFails tampers with a real 4-validator chain in each way
// an auditor must catch and checks the first finding's rule and height
// (TestRealNodeChain does the same to a chain a real node made).
func TestTamperedChainFails(t *testing.T) {
	runTampers(t, mixedChainFile(t), 4)
}

// tamper is one way of tampering with a chain file: it returns the
// tampered file and the height its first finding must name (0: any).
type tamper struct {
	name  string
	apply func(p *parsed) ([]byte, uint64)
	rule  string
}

// busy is the index of the first block from index from on with at least two
// transactions.
func busy(t testing.TB, p *parsed, from int) int {
	for i := from; i < len(p.blocks); i++ {
		if len(p.blocks[i].Txs) >= 2 {
			return i
		}
	}
	t.Fatal("no block with two transactions to tamper with")
	return 0
}

func runTampers(t *testing.T, raw []byte, validators int) {
	g := parse(t, raw).genesis
	cases := []tamper{
		{"flip a byte in a transaction", func(p *parsed) ([]byte, uint64) {
			b := p.blocks[busy(t, p, 2)]
			enc := b.Txs[1].Bytes()
			enc[len(enc)-20] ^= 0x01 // inside the signature
			tx, err := chain.DecodeTx(enc)
			if err != nil {
				t.Fatal(err)
			}
			b.Txs[1] = tx
			return p.encode(t), b.Height()
		}, RuleTxRoot},
		{"drop a transaction from a block", func(p *parsed) ([]byte, uint64) {
			b := p.blocks[busy(t, p, 3)]
			b.Txs = append(b.Txs[:1], b.Txs[2:]...)
			return p.encode(t), b.Height()
		}, RuleTxRoot},
		{"certificate with too few signatures", func(p *parsed) ([]byte, uint64) {
			lc := p.blocks[len(p.blocks)/2].Header.LastCommit
			lc.Sigs = lc.Sigs[:len(lc.Sigs)/2] // half the power: not more than 2/3
			return p.encode(t), lc.Height
		}, RuleCertificate},
		{"final certificate with too few signatures", func(p *parsed) ([]byte, uint64) {
			p.final.Sigs = p.final.Sigs[:len(p.final.Sigs)/4]
			return p.encode(t), p.final.Height
		}, RuleCertificate},
		{"reorder two blocks", func(p *parsed) ([]byte, uint64) {
			i := len(p.blocks) / 2
			p.blocks[i], p.blocks[i+1] = p.blocks[i+1], p.blocks[i]
			return p.encode(t), uint64(i + 1)
		}, RuleHeight},
		{"truncate the file", func(p *parsed) ([]byte, uint64) {
			return raw[:len(raw)*2/3], 0
		}, RuleTruncated},
		{"cut the final certificate", func(p *parsed) ([]byte, uint64) {
			p.final = nil
			return p.encode(t), uint64(len(p.blocks))
		}, RuleTruncated},
		{"change a block's time", func(p *parsed) ([]byte, uint64) {
			p.blocks[3].Header.Time = p.blocks[2].Header.Time
			return p.encode(t), 4
		}, RuleTime},
	}
	if validators > 1 {
		cases = append(cases, tamper{"block by a validator that is not the key holder", func(p *parsed) ([]byte, uint64) {
			// Every validator colludes: they sign the forged last block, so
			// only the holder rule can catch it.
			b := p.blocks[len(p.blocks)-1]
			for _, v := range g.ValidatorSet().Validators {
				if v.Address != b.Header.Proposer {
					b.Header.Proposer = v.Address
					break
				}
			}
			p.final = chaingen.Certify(g.ChainID, devnetValidatorKeys(validators), b.Hash(), b.Height(), 0)
			return p.encode(t), b.Height()
		}, RuleProposer})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tampered, height := tc.apply(parse(t, raw))
			rep := audit(t, memSource(t, tampered), Config{})
			f := rep.First()
			if rep.Passed || f == nil {
				t.Fatal("tampered chain passes")
			}
			if f.Rule != tc.rule || (height != 0 && f.Height != height) {
				t.Fatalf("first finding %s, want %s at height %d", f, tc.rule, height)
			}
			t.Logf("caught: %s", f)
		})
	}
}

func devnetValidatorKeys(n int) []*ecdsa.PrivateKey {
	var out []*ecdsa.PrivateKey
	for i := 0; i < n; i++ {
		out = append(out, devnet.Key(devnet.Seed, "validator", i))
	}
	return out
}

func TestPinnedGenesis(t *testing.T) {
	raw := mixedChainFile(t)
	other := chaingen.Genesis(4)
	other.ChainID = "someone-else"
	rep := audit(t, memSource(t, raw), Config{Genesis: other})
	if f := rep.First(); f == nil || f.Rule != RuleGenesis {
		t.Fatalf("another pinned genesis: first finding %v, want %s", f, RuleGenesis)
	}
	if !strings.Contains(rep.First().Reason, "pinned") {
		t.Errorf("reason %q does not say the pinned genesis differs", rep.First().Reason)
	}
	rep = audit(t, memSource(t, raw), Config{Genesis: parse(t, raw).genesis})
	if !rep.Passed {
		t.Fatalf("the right pinned genesis fails: %v", rep.Findings)
	}
}
