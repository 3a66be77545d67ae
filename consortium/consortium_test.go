package consortium

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// TestNewConsortium: the genesis validates, every key file decrypts to the
// address genesis names, and every hash-chain secret reproduces its tip.
func TestNewConsortium(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	res, err := New(Config{ChainID: "acme-pay", Validators: 4, Banks: []string{"A", "B"}, Assets: []string{"CNY:2"},
		Out: out, Password: "pw", HashChainLength: 4096, Now: time.Unix(1_800_000_000, 0),
		ScryptN: keystore.LightScryptN, ScryptP: keystore.LightScryptP})
	if err != nil {
		t.Fatal(err)
	}
	g, err := chain.LoadGenesis(res.GenesisPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range g.Validators {
		raw, _ := os.ReadFile(filepath.Join(out, "validators", "validator-"+string(rune('0'+i))+".json"))
		k, err := keystore.DecryptKey(raw, "pw")
		if err != nil || k.Address != v.Address {
			t.Fatalf("validator %d key: %v, address %s vs %s", i, err, k.Address, v.Address)
		}
		s, _ := os.ReadFile(filepath.Join(out, "validators", "hashchain-"+string(rune('0'+i))))
		secret := common.HexToHash(strings.TrimSpace(string(s)))
		if chain.NewHashChain(secret, 4096).Tip() != v.RevealTip {
			t.Fatalf("validator %d: secret does not reproduce the reveal tip", i)
		}
	}
	if _, err := New(Config{ChainID: "acme-pay", Validators: 1, Banks: []string{"A"}, Out: out, Password: "pw"}); err == nil {
		t.Fatal("New overwrote an existing consortium directory")
	}
}
