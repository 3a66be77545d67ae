package explorer_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestKeyPathAndHistory checks the two RPC queries the explorer added on a
// real node: sov_keyPath's seeds are the chain's (walked here from
// chain.GenesisSeed over the stored blocks), across kept seed marks and
// windows that start before, at and after them, and each proposer is the
// holder its seed and round name, also after another chain from the same
// genesis was walked in this process; sov_accountHistory finds an account's
// events newest first and pages back to genesis.
func TestKeyPathAndHistory(t *testing.T) {
	// Another chain from the same genesis in this process, walked first:
	// its seeds and steps must not leak into the chain under test.
	other := devnode.Start(t, t.TempDir(), nil)
	for other.Node.Ledger().Head().Height < 120 {
		other.Final(other.Client.Transfer(other.Ctx, devnode.Alice, devnode.Addr(devnode.Bob), "CNY", "0.01"))
	}
	if _, err := other.Client.KeyPath(other.Ctx, 64); err != nil {
		t.Fatal(err)
	}
	other.Node.Close()

	c := devnode.Start(t, t.TempDir(), nil)
	ids := c.Workload(2)
	for c.Node.Ledger().Head().Height < 600 { // past two kept seeds (every 256 heights)
		c.Final(c.Client.Transfer(c.Ctx, devnode.Carol, devnode.Addr(devnode.Dave), "CNY", "0.01"))
	}
	rc := c.Client
	vs := c.Node.Ledger().Validators()
	store := c.Node.Ledger().DB()
	seeds := map[uint64]common.Hash{} // the chain's seeds, walked here from genesis as the ledger defines them
	hashes := map[uint64]common.Hash{}
	seed := chain.GenesisSeed(devnode.Genesis())
	for h := uint64(1); h <= c.Node.Ledger().Head().Height; h++ {
		b, err := store.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		seeds[h], seed, hashes[h] = seed, chain.NextSeed(seed, b.Header.Reveal), b.Hash()
	}
	for _, count := range []int{1, 64, 512} {
		path, err := rc.KeyPath(c.Ctx, count)
		if err != nil {
			t.Fatal(err)
		}
		if len(path) != count {
			t.Fatalf("sov_keyPath(%d) gave %d blocks", count, len(path))
		}
		for _, st := range path {
			if want, ok := hashes[st.Height]; ok && st.Hash != want {
				t.Fatalf("count %d, height %d: block %s, the chain's is %s", count, st.Height, st.Hash, want)
			}
			if want, ok := seeds[st.Height]; ok && st.Seed != want {
				t.Fatalf("count %d, height %d: seed %s, the chain's is %s", count, st.Height, st.Seed, want)
			}
			if want := vs.Holder(st.Seed, st.Round); st.Proposer != want || len(st.Missed) != int(st.Round) {
				t.Fatalf("count %d, height %d: proposer %s, holder by seed %s, missed %v", count, st.Height, st.Proposer, want, st.Missed)
			}
		}
	}
	if _, err := rc.KeyPath(c.Ctx, rpc.MaxKeyPathBlocks+1); err == nil {
		t.Fatal("sov_keyPath(513) accepted")
	}

	alice := devnode.Addr(devnode.Alice)
	first, err := rc.AccountHistory(c.Ctx, rpc.HistoryQuery{Account: alice, Blocks: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	seen := map[common.Hash]bool{}
	h := first
	for pages := 0; ; pages++ {
		for i, n := range h.Notices {
			if i > 0 && n.Height > h.Notices[i-1].Height {
				t.Fatalf("history not newest first: %d after %d", n.Height, h.Notices[i-1].Height)
			}
			kinds[n.Event.Kind]++
			if n.Event.Record != nil {
				seen[*n.Event.Record] = true
			}
		}
		if !h.More {
			break
		}
		before := h.From
		if h, err = rc.AccountHistory(c.Ctx, rpc.HistoryQuery{Account: alice, Before: &before, Blocks: 100}); err != nil {
			t.Fatal(err)
		}
		if h.To != before-1 {
			t.Fatalf("page below %d starts at %d", before, h.To)
		}
	}
	if kinds[chain.EventTransfer] != 2 || kinds[chain.EventEscrowOpened] != 2 || kinds[chain.EventEscrowReleased] != 1 || kinds[chain.EventEscrowRefunded] != 1 {
		t.Fatalf("alice's history: %v", kinds)
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("escrow %s missing from alice's history", id)
		}
	}
}
