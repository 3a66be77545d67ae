package chain

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestSignBytesGolden pins every signed hash to a fixed value: a change to
// any of them changes what validators and wallets sign, which is a fork.
func TestSignBytesGolden(t *testing.T) {
	block := crypto.Keccak256Hash([]byte("block"))
	tx := NewTx("golden", 7, Transfer{To: common.Address{1}, Asset: "CNY", Amount: 12345})
	cert := &Certificate{Height: 9, Round: 1, BlockHash: block}
	vote := &SignedVote{Type: VotePrevote, Height: 9, Round: 2, BlockHash: block}
	for _, row := range []struct {
		name string
		got  common.Hash
		want string
	}{
		{"transaction", tx.SigningHash(), "0x6063d91e878e4486cc13cabd23ed418ea4433d0884dc40af0ff0d4c8b986b492"},
		{"prevote", VoteSignHash("golden", VotePrevote, 9, 2, block), "0x0bc7fe8806f3a69ba160b301bbfd247e8ba0dabe44b04df188b154352dcd45e6"},
		{"precommit", VoteSignHash("golden", VotePrecommit, 9, 2, block), "0xd58904c6bc37bbad4677b85a0ae24aacd35465f69175f8d20e3884afe11fbc90"},
		{"nil precommit", VoteSignHash("golden", VotePrecommit, 9, 2, common.Hash{}), "0x0191a99d86df89efdadd78ee6a1d887a58f1cf920fa6a95a6abad07eeca3a436"},
		{"proposal", ProposalSignHash("golden", 9, 2, -1, block), "0x482881541b38769f084e61ed6cb54986690fea90e6ba29267f2bf40978a88c06"},
		{"proposal with proof of lock", ProposalSignHash("golden", 9, 2, 1, block), "0xabd0da4601dc4c24d8746399a99be28ce6b05695cfb19fdcd44efa277b872a72"},
		{"certificate", cert.SignHash("golden"), "0x2ad4843f4c1bf82cc1931025840d27ad5f5d93594b841116a81475b8c44008a1"},
		{"evidence vote", vote.SignHash("golden"), "0x0bc7fe8806f3a69ba160b301bbfd247e8ba0dabe44b04df188b154352dcd45e6"},
	} {
		if row.got.Hex() != row.want {
			t.Errorf("%s signs %s, pinned %s", row.name, row.got.Hex(), row.want)
		}
	}
}
