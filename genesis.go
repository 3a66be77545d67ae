// Package sovereign holds what belongs to the repository as a whole: the
// development chain's genesis, embedded so that `sovereign devnet` works from
// any directory.
package sovereign

import _ "embed"

// DevnetGenesis is the repository's genesis.json: the devnet chain. Its keys
// derive from devnet.Seed and are INSECURE.
//
//go:embed genesis.json
var DevnetGenesis []byte
