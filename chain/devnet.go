package chain

import (
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// DevSeed is the published seed from which every development key derives.
// Anything derived from it is INSECURE: its private keys are public.
const DevSeed = "sovereign-devnet-INSECURE-published-seed"

// DevKey derives the development key for role and index from seed
// ("validator", "bank", "customer", "bench").
func DevKey(seed, role string, i int) *ecdsa.PrivateKey {
	for n := 0; ; n++ {
		d := crypto.Keccak256([]byte(fmt.Sprintf("%s/%s/%d/%d", seed, role, i, n)))
		if k, err := crypto.ToECDSA(d); err == nil {
			return k
		}
	}
}

// DevAddress is the address of DevKey(seed, role, i).
func DevAddress(seed, role string, i int) common.Address {
	return crypto.PubkeyToAddress(DevKey(seed, role, i).PublicKey)
}

// DevHashChainSecret derives development validator i's hash-chain secret.
func DevHashChainSecret(seed string, i int) common.Hash {
	return keccak([]byte(fmt.Sprintf("%s/hashchain/%d", seed, i)))
}

// Devnet layout: how many of each role DevGenesis creates.
const (
	DevBanks     = 2
	DevCustomers = 4
)

var devCustomerNames = []string{"alice", "bob", "carol", "dave"}

// DevGenesis builds the development chain's genesis with n validators, all
// keys derived from DevSeed. The repository's genesis.json is DevGenesis(4);
// a test keeps them equal.
func DevGenesis(n int) *Genesis {
	g := &Genesis{
		ChainID: "sovereign-devnet",
		DevSeed: DevSeed,
		Params:  DefaultParams,
	}
	g.Time = devGenesisTime
	banks := make([]common.Address, DevBanks)
	for i := range banks {
		banks[i] = DevAddress(DevSeed, "bank", i)
		pub := crypto.FromECDSAPub(&DevKey(DevSeed, "bank", i).PublicKey)
		g.Banks = append(g.Banks, GenesisBank{Address: banks[i], Name: fmt.Sprintf("Devnet Bank %c", 'A'+i), PubKey: pub})
	}
	g.Assets = []GenesisAsset{
		{Symbol: "CNY", Decimals: 2, Issuers: banks},
		{Symbol: "USD", Decimals: 2, Issuers: banks[1:]},
	}
	for i := 0; i < n; i++ {
		g.Validators = append(g.Validators, DevValidator(i))
	}
	for i := 0; i < DevCustomers; i++ {
		g.Accounts = append(g.Accounts, GenesisAccount{
			Address:  DevAddress(DevSeed, "customer", i),
			Bank:     banks[i%DevBanks],
			Role:     "customer",
			Name:     devCustomerNames[i],
			Balances: map[string]string{"CNY": "1000000.00", "USD": "10000.00"},
		})
	}
	return g
}

// DevValidator is development validator i's genesis entry.
func DevValidator(i int) GenesisValidator {
	hc := NewHashChain(DevHashChainSecret(DevSeed, i), DefaultHashChainLength)
	return GenesisValidator{
		Address:      DevAddress(DevSeed, "validator", i),
		Name:         fmt.Sprintf("validator-%d", i),
		Power:        1,
		RevealTip:    hc.Tip(),
		RevealLength: hc.Length(),
	}
}

var devGenesisTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
