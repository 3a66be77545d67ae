package sovereign

import (
	"encoding/json"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// The repository's genesis.json must be exactly the devnet genesis that the
// code derives from the published development seed, or `devnet` could not
// recreate its keys.
func TestRepoGenesisIsDevGenesis(t *testing.T) {
	g, err := chain.ParseGenesis(DevnetGenesis)
	if err != nil {
		t.Fatalf("genesis.json: %v", err)
	}
	want, _ := json.Marshal(devnet.DefaultGenesis(len(g.Validators)))
	got, _ := json.Marshal(g)
	if string(got) != string(want) {
		t.Fatalf("genesis.json differs from devnet.DefaultGenesis(%d); regenerate it with `sovereign genesis dev`", len(g.Validators))
	}
}
