package p2p

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	lcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PrivKey converts a secp256k1 key (go-ethereum) to a libp2p identity, so a
// validator's peer id and chain address come from the same key.
func PrivKey(key *ecdsa.PrivateKey) (lcrypto.PrivKey, error) {
	k, err := lcrypto.UnmarshalSecp256k1PrivateKey(ethcrypto.FromECDSA(key))
	if err != nil {
		return nil, fmt.Errorf("libp2p identity from key: %w", err)
	}
	return k, nil
}

// PeerID is the libp2p peer id of key.
func PeerID(key *ecdsa.PrivateKey) (peer.ID, error) {
	k, err := PrivKey(key)
	if err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(k)
}

// AddressOf returns the chain address behind a peer id: secp256k1 peer ids
// embed the public key, so the gater can check a connecting peer against
// the validator set without any other lookup.
func AddressOf(id peer.ID) (common.Address, error) {
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return common.Address{}, fmt.Errorf("peer %s: no embedded public key: %w", id, err)
	}
	if pub.Type() != lcrypto.Secp256k1 {
		return common.Address{}, fmt.Errorf("peer %s: key type %s, want secp256k1", id, pub.Type())
	}
	raw, err := pub.Raw()
	if err != nil {
		return common.Address{}, err
	}
	ecpub, err := ethcrypto.DecompressPubkey(raw)
	if err != nil {
		return common.Address{}, fmt.Errorf("peer %s: %w", id, err)
	}
	return ethcrypto.PubkeyToAddress(*ecpub), nil
}
