package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestLedgerRules is the state transition's specification: one row per rule
// outcome, each rejection with its stable code.
func TestLedgerRules(t *testing.T) {
	f := newFixture(t, 4)
	alice, bob, carol := f.customers[0], f.customers[1], f.customers[2]
	bankA, bankB := f.banks[0], f.banks[1]
	stranger := devnet.Key(testSeed, "stranger", 0)
	f.block(f.tx(bankA, chain.RegisterAccount{Account: addr(devnet.Key(testSeed, "late", 0))}))
	f.nonces[addr(bankA)] = 1

	rows := []struct {
		name string
		from *ecdsa.PrivateKey
		body chain.Body
		code string
	}{
		{"transfer", alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 100}, ""},
		{"transfer overdraft", alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 1_000_000}, "insufficient_funds"},
		{"transfer of an asset not held", alice, chain.Transfer{To: addr(bob), Asset: "USD", Amount: 1}, "insufficient_funds"},
		{"transfer zero", alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 0}, "zero_amount"},
		{"transfer to self", alice, chain.Transfer{To: addr(alice), Asset: "CNY", Amount: 1}, "self_transfer"},
		{"transfer unknown asset", alice, chain.Transfer{To: addr(bob), Asset: "EUR", Amount: 1}, "unknown_asset"},
		{"transfer unknown recipient", alice, chain.Transfer{To: addr(stranger), Asset: "CNY", Amount: 1}, "unknown_account"},
		{"transfer from an empty account", bankB, chain.Transfer{To: addr(carol), Asset: "CNY", Amount: 1}, "insufficient_funds"},
		{"mint by issuer to own customer", bankA, chain.Mint{To: addr(alice), Asset: "CNY", Amount: 500}, ""},
		{"mint by non-issuer", bankA, chain.Mint{To: addr(alice), Asset: "USD", Amount: 1}, "not_issuer"},
		{"mint by customer", alice, chain.Mint{To: addr(alice), Asset: "CNY", Amount: 1}, "not_issuer"},
		{"mint to another bank's customer", bankA, chain.Mint{To: addr(bob), Asset: "CNY", Amount: 1}, "not_authorized"},
		{"mint to unknown account", bankA, chain.Mint{To: addr(stranger), Asset: "CNY", Amount: 1}, "unknown_account"},
		{"mint zero", bankA, chain.Mint{To: addr(alice), Asset: "CNY", Amount: 0}, "zero_amount"},
		{"mint overflow", bankA, chain.Mint{To: addr(alice), Asset: "CNY", Amount: ^uint64(0)}, "overflow"},
		{"mint unknown asset", bankA, chain.Mint{To: addr(alice), Asset: "EUR", Amount: 1}, "unknown_asset"},
		{"mint to itself", bankA, chain.Mint{To: addr(bankA), Asset: "CNY", Amount: 1000}, ""},
		{"burn", bankA, chain.Burn{Asset: "CNY", Amount: 400}, ""},
		{"burn overdraft", bankA, chain.Burn{Asset: "CNY", Amount: 1_000_000}, "insufficient_funds"},
		{"burn by non-issuer", alice, chain.Burn{Asset: "CNY", Amount: 1}, "not_issuer"},
		{"burn zero", bankA, chain.Burn{Asset: "CNY", Amount: 0}, "zero_amount"},
		{"burn unknown asset", bankA, chain.Burn{Asset: "EUR", Amount: 1}, "unknown_asset"},
		{"register", bankB, chain.RegisterAccount{Account: addr(devnet.Key(testSeed, "new", 1))}, ""},
		{"register existing", bankB, chain.RegisterAccount{Account: addr(alice)}, "account_exists"},
		{"register by customer", alice, chain.RegisterAccount{Account: addr(devnet.Key(testSeed, "new", 2))}, "not_bank"},
		{"register zero address", bankA, chain.RegisterAccount{}, "malformed"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := f.ledger.Head().StateRoot
			from := addr(row.from)
			nonce := f.account(from).Nonce
			_, ex := f.block(f.tx(row.from, row.body))
			if len(ex.Receipts) != 1 {
				t.Fatalf("%d receipts, dropped %v", len(ex.Receipts), ex.Dropped)
			}
			if got := ex.Receipts[0].Code; got != row.code {
				t.Fatalf("code %q, want %q", got, row.code)
			}
			if got := f.account(from).Nonce; got != nonce+1 {
				t.Fatalf("nonce %d after the tx, want %d (spent even on rejection)", got, nonce+1)
			}
			if row.code != "" {
				// a rejection changes nothing but the sender's nonce
				ch, _ := ex.changes, before
				if len(ch) != 3 { // sender account, validator reveal, seed
					t.Fatalf("a rejected tx wrote %d state entries, want only nonce, reveal and seed", len(ch))
				}
			}
		})
	}
}

// TestEnvelopeRejections: what makes a transaction unfit for any block.
func TestEnvelopeRejections(t *testing.T) {
	f := newFixture(t, 2)
	alice, bob := f.customers[0], f.customers[1]
	transfer := chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 1}
	stranger := devnet.Key(testSeed, "stranger", 0)

	wrongChain := chain.NewTx("other-chain", 0, transfer)
	_ = wrongChain.Sign(alice)
	badNonce := chain.NewTx(f.g.ChainID, 5, transfer)
	_ = badNonce.Sign(alice)
	unsigned := chain.NewTx(f.g.ChainID, 0, transfer)
	twoSigs := chain.NewTx(f.g.ChainID, 0, chain.Release{Escrow: common.Hash{1}}) // a release takes no co-signer
	_ = twoSigs.Sign(alice)
	_ = twoSigs.Sign(bob)
	unknownSender := chain.NewTx(f.g.ChainID, 0, transfer)
	_ = unknownSender.Sign(stranger)
	highS := chain.NewTx(f.g.ChainID, 0, transfer)
	_ = highS.Sign(alice)
	highS = withSig(t, highS, flipS(highS.Sigs()[0]))

	for _, row := range []struct {
		name string
		tx   *chain.Tx
		want error
	}{
		{"wrong chain", wrongChain, chain.ErrWrongChain},
		{"bad nonce", badNonce, chain.ErrBadNonce},
		{"unsigned", unsigned, chain.ErrBadSignature},
		{"extra signature", twoSigs, chain.ErrBadSignature},
		{"unregistered sender", unknownSender, chain.ErrUnknownAccount},
		{"malleable signature", highS, chain.ErrBadSignature},
	} {
		t.Run(row.name, func(t *testing.T) {
			_, err := ApplyTx(f.ledger.State(), f.g.ChainID, row.tx)
			if !errors.Is(err, row.want) {
				t.Fatalf("err %v, want %v", err, row.want)
			}
			// a proposer leaves it out; a block carrying it is invalid
			b, ex, err := f.ledger.Build(f.template(), []*chain.Tx{row.tx})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Txs) != 0 || len(ex.Dropped) != 1 {
				t.Fatalf("built block has %d txs, dropped %d", len(b.Txs), len(ex.Dropped))
			}
			b.Txs = []*chain.Tx{row.tx}
			b.Header.TxRoot = TxRoot(b.Txs)
			if _, err := f.ledger.Execute(b); !errors.Is(err, ErrBadBlock) {
				t.Fatalf("executing a block with it: %v, want ErrBadBlock", err)
			}
		})
	}
}

// flipS turns a signature into its malleable twin (s → n-s, v flipped).
func flipS(sig []byte) []byte {
	out := append([]byte(nil), sig...)
	n := secp256k1N()
	s := new(bigInt).SetBytes(out[32:64])
	s.Sub(n, s)
	copy(out[32:64], common.LeftPadBytes(s.Bytes(), 32))
	out[64] ^= 1
	return out
}

// withSig re-decodes tx with its first signature replaced, as a peer could
// send it.
func withSig(t *testing.T, tx *chain.Tx, sig []byte) *chain.Tx {
	t.Helper()
	out, err := chain.DecodeTx(bytes.Replace(tx.Bytes(), tx.Sigs()[0], sig, 1))
	if err != nil {
		t.Fatalf("re-decode with replaced signature: %v", err)
	}
	return out
}
