package p2p

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

func addrOf(t *testing.T, i int) common.Address {
	return ethcrypto.PubkeyToAddress(testKey(t, i).PublicKey)
}

// TestSetValidatorsDisconnects: when the validator set changes, a peer
// whose address left it is disconnected and can no longer connect, while
// the others stay; a validator added can connect from then on.
func TestSetValidatorsDisconnects(t *testing.T) {
	a, b, c := startNetwork(t, 0, nil), startNetwork(t, 1, nil), startNetwork(t, 2, nil)
	mustConnect(t, b, a)
	mustConnect(t, c, a)
	vals := testValidators(t, 3)
	closed := a.SetValidators(vals[:2]) // validator 2 removed
	if len(closed) != 1 || closed[0] != c.ID() {
		t.Fatalf("disconnected %v, want only %s", closed, c.ID())
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(a.Peers()) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if peers := a.Peers(); len(peers) != 1 || peers[0] != b.ID() {
		t.Fatalf("peers after the change: %v, want only %s", peers, b.ID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := connect(ctx, c, a); err == nil {
		time.Sleep(200 * time.Millisecond) // the refusal comes with the handshake
		for _, p := range a.Peers() {
			if p == c.ID() {
				t.Fatal("the removed validator connected again")
			}
		}
	}
	d := startNetwork(t, 9, nil) // key 9: not among the 8 admitted at start
	if err := connect(ctx, d, a); err == nil {
		time.Sleep(200 * time.Millisecond)
		for _, p := range a.Peers() {
			if p == d.ID() {
				t.Fatal("a stranger connected")
			}
		}
	}
	a.SetValidators(append(vals[:2:2], addrOf(t, 9)))
	mustConnect(t, d, a) // added: admitted
	if !a.Admits(addrOf(t, 9)) || a.Admits(vals[2]) {
		t.Fatal("Admits does not follow the set")
	}
}
