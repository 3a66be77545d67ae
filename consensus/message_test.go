package consensus

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// sampleMessages are well-formed messages of every shape.
func sampleMessages(t testing.TB) []Message {
	signers, vs := testValidators(4)
	order := vs.HolderOrder(genesisSeed)
	byAddr := make(map[common.Address]*KeySigner)
	for _, s := range signers {
		byAddr[s.Address()] = s
	}
	b1 := buildBlock(&ProposeRequest{Height: 1, Round: 0}, order[0], 0)
	p1 := &Proposal{Height: 1, Round: 0, POLRound: -1, Block: b1}
	p1.Sig, _ = byAddr[order[0]].Sign(p1.SignHash(testChainID))
	cert := &chain.Certificate{Height: 1, Round: 0, BlockHash: b1.Hash()}
	for _, s := range signers[:3] {
		sig, _ := s.Sign(chain.VoteSignHash(testChainID, chain.VotePrecommit, 1, 0, b1.Hash()))
		cert.Sigs = append(cert.Sigs, chain.CommitSig{Validator: s.Address(), Sig: sig})
	}
	b2 := buildBlock(&ProposeRequest{Height: 2, Round: 1, LastCommit: cert}, order[1], 0)
	tx := chain.NewTx(testChainID, 7, chain.Transfer{To: common.Address{3}, Asset: "CNY", Amount: 100})
	if err := tx.Sign(testKey(9)); err != nil {
		t.Fatal(err)
	}
	b2.Txs = []*chain.Tx{tx}
	p2 := &Proposal{Height: 2, Round: 3, POLRound: 1, Block: b2}
	p2.Sig, _ = byAddr[order[1]].Sign(p2.SignHash(testChainID))
	v1 := &Vote{Type: chain.VotePrevote, Height: 1, Round: 0, BlockHash: b1.Hash(), Validator: signers[0].Address()}
	v1.Sig, _ = signers[0].Sign(v1.SignHash(testChainID))
	v2 := &Vote{Type: chain.VotePrecommit, Height: 9, Round: 4, Validator: signers[1].Address()}
	v2.Sig, _ = signers[1].Sign(v2.SignHash(testChainID))
	return []Message{{Proposal: p1}, {Proposal: p2}, {Vote: v1}, {Vote: v2}}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, msg := range sampleMessages(t) {
		enc := msg.Encode()
		got, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if !bytes.Equal(got.Encode(), enc) {
			t.Fatalf("%s: re-encoding differs", msg)
		}
		if got.Proposal != nil && (got.Proposal.POLRound != msg.Proposal.POLRound || got.Proposal.Block.Hash() != msg.Proposal.Block.Hash()) {
			t.Fatalf("%s: decoded %s", msg, got)
		}
		if got.Vote != nil && (got.Vote.SignHash(testChainID) != msg.Vote.SignHash(testChainID) || got.Vote.Validator != msg.Vote.Validator || !bytes.Equal(got.Vote.Sig, msg.Vote.Sig)) {
			t.Fatalf("%s: decoded %s", msg, got)
		}
		// Every strict prefix and a trailing byte are refused.
		for i := 0; i < len(enc); i += 1 + len(enc)/50 {
			if _, err := DecodeMessage(enc[:i]); err == nil {
				t.Fatalf("%s: prefix of %d bytes decoded", msg, i)
			}
		}
		if _, err := DecodeMessage(append(enc, 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: trailing byte: %v", msg, err)
		}
	}
	if _, err := DecodeMessage(Message{}.Encode()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty message decoded: %v", err)
	}
}

func TestSafetyRecordRoundTrip(t *testing.T) {
	v := sampleMessages(t)[2].Vote
	sr := SafetyRecord{Height: 5, Round: 2, Step: StepPrecommit, LockedRound: 1, LockedBlock: common.Hash{1}, ValidRound: 2, ValidBlock: common.Hash{2}, Votes: []*Vote{v}}
	got, err := DecodeSafetyRecord(sr.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got.Height != 5 || got.LockedBlock != sr.LockedBlock || got.ValidRound != 2 || len(got.Votes) != 1 || got.Votes[0].SignHash(testChainID) != v.SignHash(testChainID) || !bytes.Equal(got.Votes[0].Sig, v.Sig) {
		t.Fatalf("decoded %+v", got)
	}
	if _, err := DecodeSafetyRecord([]byte(`{"step":9}`)); err == nil {
		t.Fatal("step 9 accepted")
	}
}

// FuzzDecodeMessage: decoding never panics, and whatever decodes is
// canonical (re-encodes to the same bytes) and well-shaped. The seed corpus
// is in testdata/fuzz/FuzzDecodeMessage; regenerate it with
// SOV_WRITE_CORPUS=1 go test ./consensus -run TestWriteFuzzCorpus.
func FuzzDecodeMessage(f *testing.F) {
	for _, msg := range sampleMessages(f) {
		f.Add(msg.Encode())
	}
	f.Add([]byte{})
	f.Add([]byte{0xc0})
	f.Add([]byte{0xc2, 0x01, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(msg.Encode(), data) {
			t.Fatalf("decoded message re-encodes differently")
		}
		if err := msg.checkShape(); err != nil {
			t.Fatalf("decoded message breaks its shape: %v", err)
		}
		_ = msg.String()
	})
}

// FuzzStep: whatever decodes, a machine takes without panicking.
func FuzzStep(f *testing.F) {
	for _, msg := range sampleMessages(f) {
		f.Add(msg.Encode())
	}
	signers, vs := testValidators(4)
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := DecodeMessage(data)
		if err != nil {
			return
		}
		m := mustNew(t, testConfig(vs, signers[0]), StartState{Height: 1, Seed: genesisSeed})
		_ = m.Step(msg)
		m.Tick()
		if m.HasReady() {
			m.Advance(m.Ready())
		}
	})
}

// TestWriteFuzzCorpus writes the seed corpus files (only when asked).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("SOV_WRITE_CORPUS") == "" {
		t.Skip("set SOV_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	for _, target := range []string{"FuzzDecodeMessage", "FuzzStep"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		names := []string{"proposal_h1", "proposal_h2_pol_txs", "prevote", "precommit_nil"}
		for i, msg := range sampleMessages(t) {
			body := "go test fuzz v1\n[]byte(" + quoteBytes(msg.Encode()) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, names[i]), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func quoteBytes(b []byte) string {
	var out bytes.Buffer
	out.WriteByte('"')
	for _, c := range b {
		out.WriteString(`\x`)
		out.WriteByte("0123456789abcdef"[c>>4])
		out.WriteByte("0123456789abcdef"[c&15])
	}
	out.WriteByte('"')
	return out.String()
}
