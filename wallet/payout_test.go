package wallet

import (
	"testing"

	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestPayoutEncryption: only the bank's key opens payout details.
func TestPayoutEncryption(t *testing.T) {
	bank, other := devnet.Key(devnet.Seed, "bank", 0), devnet.Key(devnet.Seed, "bank", 1)
	ct, err := encryptPayout(&bank.PublicKey, []byte("IBAN CN12 3456"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := DecryptPayout(bank, &rpc.Payout{Details: ct})
	if err != nil || string(pt) != "IBAN CN12 3456" {
		t.Fatalf("decrypt: %q %v", pt, err)
	}
	if _, err := DecryptPayout(other, &rpc.Payout{Details: ct}); err == nil {
		t.Fatal("another key decrypted the payout details")
	}
}
