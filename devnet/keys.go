package devnet

import (
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Seed is the published seed from which every development key derives.
// Anything derived from it is INSECURE: its private keys are public.
const Seed = "sovereign-devnet-INSECURE-published-seed"

// Key derives the development key for role and index from seed
// ("validator", "bank", "customer", "bench").
func Key(seed, role string, i int) *ecdsa.PrivateKey {
	for n := 0; ; n++ {
		d := crypto.Keccak256([]byte(fmt.Sprintf("%s/%s/%d/%d", seed, role, i, n)))
		if k, err := crypto.ToECDSA(d); err == nil {
			return k
		}
	}
}

// Address is the address of Key(seed, role, i).
func Address(seed, role string, i int) common.Address {
	return crypto.PubkeyToAddress(Key(seed, role, i).PublicKey)
}

// HashChainSecret derives development validator i's hash-chain secret.
func HashChainSecret(seed string, i int) common.Hash {
	return crypto.Keccak256Hash([]byte(fmt.Sprintf("%s/hashchain/%d", seed, i)))
}

// Devnet layout: how many of each role DefaultGenesis creates.
const (
	Banks     = 2
	Customers = 4
)

var customerNames = []string{"alice", "bob", "carol", "dave"}

// DefaultGenesis builds the development chain's genesis with n validators, all
// keys derived from Seed. The repository's genesis.json is DefaultGenesis(4);
// a test keeps them equal.
func DefaultGenesis(n int) *chain.Genesis {
	g := &chain.Genesis{
		ChainID: "sovereign-devnet",
		DevSeed: Seed,
		Params:  chain.DefaultParams,
	}
	g.Time = genesisTime
	banks := make([]common.Address, Banks)
	for i := range banks {
		banks[i] = Address(Seed, "bank", i)
		pub := crypto.FromECDSAPub(&Key(Seed, "bank", i).PublicKey)
		g.Banks = append(g.Banks, chain.GenesisBank{Address: banks[i], Name: fmt.Sprintf("Devnet Bank %c", 'A'+i), PubKey: pub})
	}
	g.Assets = []chain.GenesisAsset{
		{Symbol: "CNY", Decimals: 2, Issuers: banks},
		{Symbol: "USD", Decimals: 2, Issuers: banks[1:]},
	}
	for i := 0; i < n; i++ {
		g.Validators = append(g.Validators, Validator(i))
	}
	for i := 0; i < Customers; i++ {
		g.Accounts = append(g.Accounts, chain.GenesisAccount{
			Address:  Address(Seed, "customer", i),
			Bank:     banks[i%Banks],
			Role:     "customer",
			Name:     customerNames[i],
			Balances: map[string]string{"CNY": "1000000.00", "USD": "10000.00"},
		})
	}
	return g
}

// Validator is development validator i's genesis entry.
func Validator(i int) chain.GenesisValidator {
	hc := chain.NewHashChain(HashChainSecret(Seed, i), chain.DefaultHashChainLength)
	return chain.GenesisValidator{
		Address:      Address(Seed, "validator", i),
		Name:         fmt.Sprintf("validator-%d", i),
		Power:        1,
		RevealTip:    hc.Tip(),
		RevealLength: hc.Length(),
	}
}

var genesisTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
