package rpc

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// FuzzProofQuerySubject decodes arbitrary JSON as sov_getProof's parameter.
// A query that decodes re-encodes to one that decodes the same, and the
// record access control checks is the one the query names: a proof can
// never show a record under another record's permission.
func FuzzProofQuerySubject(f *testing.F) {
	a := common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	for _, s := range []string{
		`"0x00000000000000000000000000000000000a11ce"`, `{"account":"0x00000000000000000000000000000000000a11ce"}`,
		`{"escrow":"0x0100000000000000000000000000000000000000000000000000000000000000"}`,
		`{"payout":"0x0200000000000000000000000000000000000000000000000000000000000000"}`,
		`{"key":"0x61"}`, `{"key":"0x` + common.Bytes2Hex(chain.AccountKey(a)) + `"}`,
		`{"key":"0x` + common.Bytes2Hex(chain.EscrowKey(common.Hash{1})) + `"}`,
		`{"key":"0x` + common.Bytes2Hex(chain.BankKey(a)) + `"}`,
		`{"account":"0x00000000000000000000000000000000000a11ce","key":"0x61"}`, `{}`, `{"x":1}`, `null`, `"0x12"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var q ProofQuery
		if err := json.Unmarshal(raw, &q); err != nil {
			return
		}
		enc, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var back ProofQuery
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("%s re-encoded as %s does not decode: %v", raw, enc, err)
		}
		if s1, s2 := proofSubject(q), proofSubject(back); s1 != s2 {
			t.Fatalf("%s: subject %v, after a round trip %v", raw, s1, s2)
		}
		sub := proofSubject(q)
		switch {
		case q.Account != nil && sub != accountSubject(*q.Account):
			t.Fatalf("%s: account query checked as %v", raw, sub)
		case q.Account == nil && q.Escrow != nil && sub != (subject{kind: subjectEscrow, id: *q.Escrow}):
			t.Fatalf("%s: escrow query checked as %v", raw, sub)
		case q.Account == nil && q.Escrow == nil && q.Payout == nil:
			checkKeySubject(t, q.Key, sub)
		}
	})
}

// FuzzKeySubject: a raw state key is classified as an account, escrow or
// payout exactly when it is that record's key, and as public otherwise.
func FuzzKeySubject(f *testing.F) {
	f.Add(chain.AccountKey(common.Address{1}))
	f.Add(chain.EscrowKey(common.Hash{2}))
	f.Add(chain.PayoutKey(common.Hash{3}))
	f.Add(chain.BankKey(common.Address{4}))
	f.Add(chain.AssetKey("CNY"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, key []byte) { checkKeySubject(t, key, keySubject(key)) })
}

func checkKeySubject(t *testing.T, key []byte, sub subject) {
	t.Helper()
	isAccount := len(key) == 21 && bytes.Equal(chain.AccountKey(common.BytesToAddress(key[1:])), key)
	isEscrow := len(key) == 33 && bytes.Equal(chain.EscrowKey(common.BytesToHash(key[1:])), key)
	isPayout := len(key) == 33 && bytes.Equal(chain.PayoutKey(common.BytesToHash(key[1:])), key)
	switch {
	case isAccount && (sub.kind != subjectAccount || !bytes.Equal(chain.AccountKey(sub.addr), key)):
		t.Fatalf("account key %x checked as %v", key, sub)
	case isEscrow && (sub.kind != subjectEscrow || !bytes.Equal(chain.EscrowKey(sub.id), key)):
		t.Fatalf("escrow key %x checked as %v", key, sub)
	case isPayout && (sub.kind != subjectPayout || !bytes.Equal(chain.PayoutKey(sub.id), key)):
		t.Fatalf("payout key %x checked as %v", key, sub)
	case !isAccount && !isEscrow && !isPayout && sub.kind != subjectNone:
		t.Fatalf("key %x of public state checked as %v", key, sub)
	}
}
