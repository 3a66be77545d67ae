package chain

import "github.com/ethereum/go-ethereum/common"

// GenesisSeed is the sovereign-key seed of height 1, s_1: the hash of the
// genesis document under a domain tag. Every later seed follows from it by
// NextSeed over the blocks' reveals, so anyone holding the headers can
// recompute who held the key in every round.
func GenesisSeed(g *Genesis) common.Hash {
	return keccak([]byte("sovereign-seed"), g.Hash().Bytes())
}
