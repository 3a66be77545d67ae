package ledger

import (
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestReplayStoreKeepsStateNotHistory runs blocks on a replay store and on
// a memory store: the same head and state root, no history kept, the head
// block's header readable, and a ledger opened on the replay store after
// the blocks picks up at the head.
func TestReplayStoreKeepsStateNotHistory(t *testing.T) {
	f := newMemFixture(t, 2)
	replay := NewReplayStore()
	rl, err := OpenLedger(replay, f.g)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b, _ := f.block(f.tx(f.customers[0], chain.Transfer{To: addr(f.customers[1]), Asset: "CNY", Amount: 1}))
		if err := rl.Commit(b, nil); err != nil {
			t.Fatalf("replay block %d: %v", b.Height(), err)
		}
	}
	if rl.Head().StateRoot != f.ledger.Head().StateRoot {
		t.Fatal("replay store state differs")
	}
	for _, prefix := range []byte{kReceipts, kTxIndex, kHashToHeight} {
		replay.Scan([]byte{prefix}, []byte{prefix + 1}, false, func(k, _ []byte) bool {
			t.Fatalf("replay store keeps history key %x", k)
			return false
		})
	}
	head, err := rl.DB().BlockByHeight(3)
	if err != nil || head.Hash() != f.ledger.Head().Hash() || len(head.Txs) != 0 {
		t.Fatalf("head block in the replay store: %v", err)
	}
	if _, err := rl.DB().BlockByHeight(2); err == nil {
		t.Fatal("replay store keeps an older block")
	}
	if err := replay.compact(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenLedger(replay, f.g)
	if err != nil || again.Head().Hash() != f.ledger.Head().Hash() {
		t.Fatalf("reopen after compaction: %v", err)
	}
}
