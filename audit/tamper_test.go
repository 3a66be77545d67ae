package audit

import (
	"bytes"
	"crypto/ecdsa"
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
	if c.Height != 12 || c.Blocks != 12 || c.Txs == 0 || c.Rejected < 12 {
		t.Fatalf("chain facts %+v", c)
	}
	for _, rule := range []string{RuleCertificate, RuleProposer, RuleReveal, RuleTxSignature, RuleStateRoot, RuleReceiptsRoot, RuleSupply, RuleEscrowExpiry} {
		if ch := rep.checks(rule); ch == nil || ch.Checked == 0 || ch.Failed != 0 {
			t.Errorf("check %s: %+v", rule, ch)
		}
	}
	var proposers, signed uint64
	for _, v := range rep.Validators {
		proposers += v.Proposed
		signed += v.Signed
	}
	if proposers != 12 || signed != 12*4 {
		t.Errorf("participation: %d blocks produced, %d signatures, want 12 and 48: %+v", proposers, signed, rep.Validators)
	}
	bankA := rep.Banks[0]
	if bankA.Matched == 0 || bankA.Mismatched != 4 {
		t.Errorf("bank A reconciliation %+v, want matched records and 4 stray feedbacks mismatched", bankA)
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

// TestTamperedChainFails tampers with a real chain in each way an auditor
// must catch and checks the first finding's rule and height.
func TestTamperedChainFails(t *testing.T) {
	raw := mixedChainFile(t)
	g := parse(t, raw).genesis
	cases := []struct {
		name   string
		tamper func(p *parsed) []byte
		rule   string
		height uint64
	}{
		{"flip a byte in a transaction", func(p *parsed) []byte {
			b := p.blocks[4]
			enc := b.Txs[3].Bytes()
			enc[len(enc)-20] ^= 0x01 // inside the signature
			tx, err := chain.DecodeTx(enc)
			if err != nil {
				t.Fatal(err)
			}
			b.Txs[3] = tx
			return p.encode(t)
		}, RuleTxRoot, 5},
		{"drop a transaction from a block", func(p *parsed) []byte {
			b := p.blocks[6]
			b.Txs = append(b.Txs[:2], b.Txs[3:]...)
			return p.encode(t)
		}, RuleTxRoot, 7},
		{"certificate with too few signatures", func(p *parsed) []byte {
			lc := p.blocks[8].Header.LastCommit // certifies block 8
			lc.Sigs = lc.Sigs[:2]               // 2 of 4: not more than 2/3
			return p.encode(t)
		}, RuleCertificate, 8},
		{"final certificate with too few signatures", func(p *parsed) []byte {
			p.final.Sigs = p.final.Sigs[:1]
			return p.encode(t)
		}, RuleCertificate, 12},
		{"block by a validator that is not the key holder", func(p *parsed) []byte {
			// Every validator colludes: they sign the forged last block, so
			// only the holder rule can catch it.
			b := p.blocks[11]
			vs := g.ValidatorSet()
			for _, v := range vs.Validators {
				if v.Address != b.Header.Proposer {
					b.Header.Proposer = v.Address
					break
				}
			}
			p.final = chaingen.Certify(g.ChainID, devnetValidatorKeys(4), b.Hash(), b.Height(), 0)
			return p.encode(t)
		}, RuleProposer, 12},
		{"reorder two blocks", func(p *parsed) []byte {
			p.blocks[5], p.blocks[6] = p.blocks[6], p.blocks[5]
			return p.encode(t)
		}, RuleHeight, 6},
		{"truncate the file", func(p *parsed) []byte {
			return raw[:len(raw)*2/3]
		}, RuleTruncated, 0},
		{"cut the final certificate", func(p *parsed) []byte {
			p.final = nil
			return p.encode(t)
		}, RuleTruncated, 12},
		{"change a block's time", func(p *parsed) []byte {
			p.blocks[3].Header.Time = p.blocks[2].Header.Time
			return p.encode(t)
		}, RuleTime, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := audit(t, memSource(t, tc.tamper(parse(t, raw))), Config{})
			f := rep.First()
			if rep.Passed || f == nil {
				t.Fatal("tampered chain passes")
			}
			if f.Rule != tc.rule || (tc.height != 0 && f.Height != tc.height) {
				t.Fatalf("first finding %s, want %s at height %d", f, tc.rule, tc.height)
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
