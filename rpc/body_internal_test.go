package rpc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// TestEveryBodyRendered: bodies without fields of their own in TxBody
// (policies, approvals, sub-accounts) are rendered as chain defines them,
// never as null.
func TestEveryBodyRendered(t *testing.T) {
	var as assets
	for _, b := range []chain.Body{
		chain.SetPolicy{Account: common.Address{1}},
		chain.ApprovePayment{Payment: common.Hash{2}},
		chain.CreateSubAccount{Main: common.Address{3}, Sub: common.Address{4}},
	} {
		out := as.body(b)
		if out == nil {
			t.Fatalf("%T rendered as null", b)
		}
		raw, err := json.Marshal(out)
		if err != nil || !strings.Contains(string(raw), `"terms"`) {
			t.Fatalf("%T: %s %v", b, raw, err)
		}
	}
}
