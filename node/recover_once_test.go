package node

import (
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestEachSignatureRecoveredOnce: whichever way a transaction reaches a
// node first (a gossip batch, the proposal of the block holding it, both at
// once) and however often it comes again afterwards (the same batch from
// another peer, a client resubmitting it over RPC), the node recovers its
// signature exactly once, as sovereign_signature_recoveries_total counts.
func TestEachSignatureRecoveredOnce(t *testing.T) {
	const n = 40
	g := devnet.DefaultGenesis(1)
	block := buildBlockOne(t, g, n)

	type step func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte))
	proposal := func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte)) {
		blk, _ := fresh()
		v, err := nd.validateConsensus(true)(signedProposal(t, g, blk))
		if err != nil {
			t.Fatalf("proposal: %v", err)
		}
		if _, err := nd.ledger.Execute(v.(consensus.Message).Proposal.Block); err != nil {
			t.Fatalf("execute proposal: %v", err)
		}
	}
	gossip := func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte)) {
		_, batch := fresh()
		v, err := nd.validateTxBatch(batch)
		if err != nil {
			t.Fatalf("gossip batch: %v", err)
		}
		nd.pool.Add(v.([]*chain.Tx)) // as the driver does; after the commit they are refused as known
	}
	both := func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte)) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); proposal(t, nd, fresh) }()
		go func() { defer wg.Done(); gossip(t, nd, fresh) }()
		wg.Wait()
	}
	commit := func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte)) {
		blk, _ := fresh()
		nd.txs.all(blk.Txs)
		if err := nd.ledger.Commit(blk, nil); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	resubmit := func(t *testing.T, nd *Node, fresh func() (*chain.Block, []byte)) {
		blk, _ := fresh()
		admit(nd.ledger, nd.pool, nd.txs, nil, blk.Txs) // refused as final; what matters is no recovery
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"gossip first", []step{gossip, proposal, commit, gossip, resubmit}},
		{"proposal first", []step{proposal, gossip, commit, gossip, resubmit}},
		{"proposal and gossip at once", []step{both, commit, gossip}},
		{"resubmitted before the block", []step{resubmit, gossip, proposal, commit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nd, err := New(Config{DataDir: t.TempDir(), Genesis: g, Store: ledger.NewMemStore(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer nd.Close()
			// Every step meets new *chain.Tx values, decoded from the wire.
			fresh := func() (*chain.Block, []byte) { return decodeCopy(t, block) }
			before := chain.Recoveries.Tx.Load()
			for _, s := range tc.steps {
				s(t, nd, fresh)
			}
			if got := chain.Recoveries.Tx.Load() - before; got != n {
				t.Errorf("%d signature recoveries for %d transactions, want exactly %d", got, n, n)
			}
		})
	}
}

// buildBlockOne builds block 1 of g (one validator) holding n transfers.
func buildBlockOne(t *testing.T, g *chain.Genesis, n int) *chain.Block {
	t.Helper()
	l, err := ledger.OpenLedger(ledger.NewMemStore(), g)
	if err != nil {
		t.Fatal(err)
	}
	from, to := devnet.Key(devnet.Seed, "customer", 0), devnet.Address(devnet.Seed, "customer", 1)
	txs := make([]*chain.Tx, n)
	for i := range txs {
		txs[i] = chain.NewTx(g.ChainID, uint64(i), chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if err := txs[i].Sign(from); err != nil {
			t.Fatal(err)
		}
	}
	reveal, err := chain.NewHashChain(devnet.HashChainSecret(devnet.Seed, 0), chain.DefaultHashChainLength).Reveal(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := l.Build(ledger.BlockTemplate{Time: l.Head().Time + 1000, Proposer: devnet.Address(devnet.Seed, "validator", 0), Reveal: reveal}, txs)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Txs) != n {
		t.Fatalf("block holds %d of %d transfers", len(b.Txs), n)
	}
	return b
}

// decodeCopy returns b as a peer would receive it, and its transactions
// as one gossip batch: new values, nothing recovered.
func decodeCopy(t *testing.T, b *chain.Block) (*chain.Block, []byte) {
	t.Helper()
	raw, err := rlp.EncodeToBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	var blk chain.Block
	if err := rlp.DecodeBytes(raw, &blk); err != nil {
		t.Fatal(err)
	}
	raws := make([][]byte, len(b.Txs))
	for i, tx := range b.Txs {
		raws[i] = tx.Bytes()
	}
	batch, err := rlp.EncodeToBytes(raws)
	if err != nil {
		t.Fatal(err)
	}
	return &blk, batch
}

// signedProposal is validator 0's round-0 proposal of blk.
func signedProposal(t *testing.T, g *chain.Genesis, blk *chain.Block) []byte {
	t.Helper()
	p := &consensus.Proposal{Height: blk.Height(), Round: 0, POLRound: -1, Block: blk}
	sig, err := crypto.Sign(p.SignHash(g.ChainID).Bytes(), devnet.Key(devnet.Seed, "validator", 0))
	if err != nil {
		t.Fatal(err)
	}
	p.Sig = sig
	return consensus.Message{Proposal: p}.Encode()
}
