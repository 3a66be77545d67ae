package chain

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestCheckEnvelope: one row per envelope limit, each with its code.
func TestCheckEnvelope(t *testing.T) {
	key, _ := crypto.GenerateKey()
	signed := func(body Body, sigs int, chainID string) *Tx {
		tx := NewTx(chainID, 0, body)
		for range sigs {
			if err := tx.Sign(key); err != nil {
				t.Fatal(err)
			}
		}
		return tx
	}
	transfer := Transfer{To: common.Address{1}, Asset: "CNY", Amount: 1}
	for _, tc := range []struct {
		name string
		tx   *Tx
		want error
	}{
		{"a transfer with its sender's signature", signed(transfer, 1, "c"), nil},
		{"a withdrawal co-signed by the withdrawal key", signed(Withdraw{Asset: "CNY", Amount: 1}, 2, "c"), nil},
		{"another chain's", signed(transfer, 1, "other"), ErrWrongChain},
		{"a transfer with a policy's co-signers", signed(transfer, MaxTxSigs, "c"), nil},
		{"a release with a second signature", signed(Release{Escrow: common.Hash{1}}, 2, "c"), ErrBadSignature},
		{"a set_withdrawal_key with a third signature", signed(SetWithdrawalKey{Key: common.Address{2}}, 3, "c"), ErrBadSignature},
		{"more signatures than any type takes", signed(transfer, MaxTxSigs+1, "c"), ErrMalformed},
		{"too large", signed(Withdraw{Asset: "CNY", Amount: 1, Details: []byte(strings.Repeat("x", MaxTxBytes))}, 1, "c"), ErrTooLarge},
	} {
		err := CheckEnvelope(tc.tx, "c")
		if (tc.want == nil) != (err == nil) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
