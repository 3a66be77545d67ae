package proof

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

type nodeList [][]byte

func (l *nodeList) Put(_, v []byte) error { *l = append(*l, common.CopyBytes(v)); return nil }
func (l *nodeList) Delete([]byte) error   { return nil }

// stateTrie builds a real state trie of n accounts the way the chain commits
// state: path Keccak(AccountKey(addr)), value RLP(Account).
func stateTrie(t *testing.T, n int) (*trie.Trie, []common.Address, map[common.Address]*chain.Account) {
	t.Helper()
	tr := trie.NewEmpty(nil)
	addrs := make([]common.Address, n)
	accts := make(map[common.Address]*chain.Account)
	for i := range addrs {
		addrs[i] = crypto.PubkeyToAddress(nodetest.DevKey(string(rune('a'+i%26)) + string(rune('0'+i/26))).PublicKey)
		a := &chain.Account{Bank: addrs[0], Nonce: uint64(i)}
		a.SetBalance(chain.Balance{Asset: "CNY", Available: uint64(100 * i), Held: 7})
		enc, err := rlp.EncodeToBytes(a)
		if err != nil {
			t.Fatal(err)
		}
		tr.MustUpdate(crypto.Keccak256(chain.AccountKey(addrs[i])), enc)
		accts[addrs[i]] = a
	}
	return tr, addrs, accts
}

func prove(t *testing.T, tr *trie.Trie, addr common.Address) [][]byte {
	t.Helper()
	var nodes nodeList
	if err := tr.Prove(crypto.Keccak256(chain.AccountKey(addr)), &nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

func TestVerifyAccountProof(t *testing.T) {
	tr, addrs, accts := stateTrie(t, 200)
	root := tr.Hash()
	for _, addr := range []common.Address{addrs[0], addrs[77], addrs[199]} {
		nodes := prove(t, tr, addr)
		got, err := VerifyAccount(root, addr, nodes)
		if err != nil {
			t.Fatal(err)
		}
		want := accts[addr]
		if got.Nonce != want.Nonce || got.Bank != want.Bank || got.Balance("CNY") != want.Balance("CNY") {
			t.Fatalf("proved %+v, want %+v", got, want)
		}
	}

	// Absence is proved with a valid proof and reported as nil, nil.
	stranger := common.HexToAddress("0x00000000000000000000000000000000000000ff")
	got, err := VerifyAccount(root, stranger, prove(t, tr, stranger))
	if err != nil || got != nil {
		t.Fatalf("absent: %+v %v", got, err)
	}
}

func TestVerifyAccountProofTampered(t *testing.T) {
	tr, addrs, _ := stateTrie(t, 200)
	root := tr.Hash()
	addr := addrs[42]
	nodes := prove(t, tr, addr)

	cases := map[string]func() (common.Hash, common.Address, [][]byte){
		"wrong root": func() (common.Hash, common.Address, [][]byte) {
			return common.Hash{1}, addr, nodes
		},
		"flipped byte in leaf": func() (common.Hash, common.Address, [][]byte) {
			bad := cloneNodes(nodes)
			last := bad[len(bad)-1]
			last[len(last)-1] ^= 1
			return root, addr, bad
		},
		"flipped byte in root": func() (common.Hash, common.Address, [][]byte) {
			bad := cloneNodes(nodes)
			bad[0][5] ^= 1
			return root, addr, bad
		},
		"missing node": func() (common.Hash, common.Address, [][]byte) {
			return root, addr, nodes[:len(nodes)-1]
		},
		"another account's proof": func() (common.Hash, common.Address, [][]byte) {
			return root, addr, prove(t, tr, addrs[7])
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			r, a, n := mk()
			got, err := VerifyAccount(r, a, n)
			if err == nil {
				t.Fatalf("tampered proof accepted: %+v", got)
			}
			if !errors.Is(err, ErrBadProof) {
				t.Fatalf("error does not wrap ErrBadProof: %v", err)
			}
		})
	}
}

func cloneNodes(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, n := range in {
		out[i] = common.CopyBytes(n)
	}
	return out
}

func mustHeader(t *testing.T, raw []byte) *chain.Header {
	t.Helper()
	h := new(chain.Header)
	if err := rlp.DecodeBytes(raw, h); err != nil {
		t.Fatal(err)
	}
	return h
}

type fixture struct {
	chain *nodetest.Chain
	keys  nodetest.Keys
	c     *wallet.Client
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c, keys := nodetest.New()
	url := c.Serve(t)
	client, err := wallet.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return &fixture{chain: c, keys: keys, c: client, ctx: ctx}
}

func TestFetchAccountFromNode(t *testing.T) {
	f := newFixture(t)
	f.chain.AutoSeal = true
	alice := nodetest.Addr(f.keys.Alice)
	if _, err := f.c.Transfer(f.ctx, f.keys.Alice, nodetest.Addr(f.keys.Bob), "CNY", "2.50"); err != nil {
		t.Fatal(err)
	}
	g, _ := nodetest.Genesis()
	pa, err := FetchAccount(f.ctx, f.c, alice, g)
	if err != nil {
		t.Fatal(err)
	}
	if !pa.Certified || pa.Header.Height != 1 || pa.Account.Nonce != 1 || pa.Account.Balance("CNY").Available != 9750 {
		t.Fatalf("proven: %+v %+v", pa, pa.Account)
	}
	absent, err := FetchAccount(f.ctx, f.c, nodetest.Addr(f.keys.Carol), nil)
	if err != nil || absent.Account != nil || absent.Certified {
		t.Fatalf("absent: %+v %v", absent, err)
	}

	p, err := f.c.Proof(f.ctx, rpc.ProofQuery{Account: &alice})
	if err != nil {
		t.Fatal(err)
	}
	tamper := map[string]func(p *rpc.Proof){
		"value": func(p *rpc.Proof) {
			v := append(hexutil.Bytes(nil), *p.Value...)
			v[len(v)-1] ^= 1
			p.Value = &v
		},
		"value dropped": func(p *rpc.Proof) { p.Value = nil },
		"state root in JSON and rlp": func(p *rpc.Proof) {
			h := mustHeader(t, p.Header.RLP)
			h.StateRoot = common.Hash{3}
			p.Header.RLP, _ = rlp.EncodeToBytes(h)
		},
		"header hash":    func(p *rpc.Proof) { p.Header.Hash = common.Hash{4} },
		"key":            func(p *rpc.Proof) { p.Key = chain.AccountKey(common.Address{5}) },
		"certificate":    func(p *rpc.Proof) { p.Certificate.Signatures[0].Sig[3] ^= 1 },
		"no certificate": func(p *rpc.Proof) { p.Certificate = nil },
		"node":           func(p *rpc.Proof) { p.Nodes[0][4] ^= 1 },
	}
	for name, mutate := range tamper {
		t.Run(name, func(t *testing.T) {
			q, err := f.c.Proof(f.ctx, rpc.ProofQuery{Account: &alice})
			if err != nil {
				t.Fatal(err)
			}
			mutate(q)
			if _, err := CheckAccount(q, alice, g); !errors.Is(err, ErrBadProof) {
				t.Fatalf("tampered %s accepted or wrong error: %v", name, err)
			}
		})
	}
	// A genesis with other validators does not certify the node's header.
	other, _ := nodetest.Genesis()
	other.Validators[0].Address = common.Address{6}
	if _, err := CheckAccount(p, alice, other); !errors.Is(err, ErrBadProof) {
		t.Fatalf("foreign validator set: %v", err)
	}
}
