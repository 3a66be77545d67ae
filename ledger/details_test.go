package ledger

import (
	"crypto/rand"

	"github.com/ethereum/go-ethereum/crypto/ecies"

	"github.com/sovereign-ledger/sovereign/devnet"
)

// sealedDetails are a payout's bank account details as a wallet sends
// them: ECIES-encrypted to the servicing bank's key.
var sealedDetails = func() []byte {
	ct, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(&devnet.Key(testSeed, "bank", 0).PublicKey), []byte("IBAN DE89 3704 0044 0532 0130 00"), nil, nil)
	if err != nil {
		panic(err)
	}
	return ct
}()
