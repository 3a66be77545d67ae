package devnet

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// HashChainFile is where validator i's hash-chain secret is kept.
func (l Layout) HashChainFile(i int) string {
	return filepath.Join(l.Dir, "validators", fmt.Sprintf("hashchain-%d", i))
}

// writeValidatorFiles writes each development validator's keystore file and
// hash-chain secret, as a real operator would hold them, so the devnet runs
// `sovereign node` exactly as production does.
func writeValidatorFiles(l Layout, n int) error {
	if err := os.MkdirAll(filepath.Join(l.Dir, "validators"), 0o700); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := WriteValidatorFiles(l, i); err != nil {
			return err
		}
	}
	return nil
}

// WriteValidatorFiles writes development validator i's keystore file and
// hash-chain secret into the layout: for the genesis validators, and for a
// validator a test adds by governance later.
func WriteValidatorFiles(l Layout, i int) error {
	key := Key(Seed, "validator", i)
	id, err := uuid.NewRandom()
	if err != nil {
		return err
	}
	k := &keystore.Key{Id: id, Address: crypto.PubkeyToAddress(key.PublicKey), PrivateKey: key}
	raw, err := keystore.EncryptKey(k, Password, keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		return fmt.Errorf("encrypt validator key %d: %w", i, err)
	}
	if err := os.WriteFile(l.ValidatorKey(i), raw, 0o600); err != nil {
		return err
	}
	secret := HashChainSecret(Seed, i)
	return os.WriteFile(l.HashChainFile(i), []byte(secret.Hex()+"\n"), 0o600)
}

// ValidatorPeerAddr is validator i's bootnode multiaddr on loopback.
func ValidatorPeerAddr(i, port int) (string, error) { return ValidatorPeerAddrAt(i, "127.0.0.1", port) }

// ValidatorPeerAddrAt is validator i's bootnode multiaddr at an IPv4 host.
func ValidatorPeerAddrAt(i int, host string, port int) (string, error) {
	id, err := p2p.PeerID(Key(Seed, "validator", i))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/ip4/%s/tcp/%d/p2p/%s", host, port, id), nil
}
