package chain

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// testSeed derives this package's insecure test keys.
const testSeed = "sovereign-chain-test-seed"

func testKey(role string, i int) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("%s/%s/%d", testSeed, role, i))))
	if err != nil {
		panic(err)
	}
	return k
}

func testAddress(role string, i int) common.Address {
	return crypto.PubkeyToAddress(testKey(role, i).PublicKey)
}

func addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }
