package ledger

import (
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

type bigInt = big.Int

func secp256k1N() *big.Int { return new(big.Int).Set(crypto.S256().Params().N) }

func pubAddr(pub *ecdsa.PublicKey) common.Address { return crypto.PubkeyToAddress(*pub) }
