package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// BlockRef names a block: a height (JSON number, decimal string or 0x-hex
// string) or one of the tags "latest" / "final" (the highest final block) and
// "earliest" (height 0, the genesis block).
type BlockRef struct {
	Height uint64
	Latest bool
}

// Latest is the BlockRef of the highest final block.
var Latest = BlockRef{Latest: true}

// Height returns the BlockRef of height h.
func Height(h uint64) BlockRef { return BlockRef{Height: h} }

func (r *BlockRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '"' {
		n, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("block must be a height or \"latest\", got %s", b)
		}
		*r = BlockRef{Height: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch s = strings.TrimSpace(s); {
	case s == "latest" || s == "final" || s == "finalized":
		*r = Latest
	case s == "earliest":
		*r = BlockRef{}
	case strings.HasPrefix(s, "0x"):
		n, err := hexutil.DecodeUint64(s)
		if err != nil {
			return fmt.Errorf("block height %q: %v", s, err)
		}
		*r = BlockRef{Height: n}
	default:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("block must be a height or \"latest\", got %q", s)
		}
		*r = BlockRef{Height: n}
	}
	return nil
}

func (r BlockRef) MarshalJSON() ([]byte, error) {
	if r.Latest {
		return []byte(`"latest"`), nil
	}
	return []byte(strconv.FormatUint(r.Height, 10)), nil
}

func (r BlockRef) String() string {
	if r.Latest {
		return "latest"
	}
	return strconv.FormatUint(r.Height, 10)
}

// ProofQuery names the state value to prove. Exactly one member is set:
// {"account": "0x..."} for an account, or {"key": "0x..."} for a raw state
// key, {"escrow": id} or {"payout": id} for those records. A bare address
// string is accepted as shorthand for {"account": ...}.
type ProofQuery struct {
	Account *common.Address `json:"account,omitempty"`
	Escrow  *common.Hash    `json:"escrow,omitempty"`
	Payout  *common.Hash    `json:"payout,omitempty"`
	Key     hexutil.Bytes   `json:"key,omitempty"`
}

func (q ProofQuery) count() int {
	n := 0
	for _, set := range []bool{q.Account != nil, q.Escrow != nil, q.Payout != nil, q.Key != nil} {
		if set {
			n++
		}
	}
	return n
}

func (q *ProofQuery) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var a common.Address
		if err := json.Unmarshal(b, &a); err != nil {
			return fmt.Errorf("proof query: bad address: %v", err)
		}
		*q = ProofQuery{Account: &a}
		return nil
	}
	type plain ProofQuery
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("proof query must be an address or {\"account\": address}, {\"escrow\": id}, {\"payout\": id} or {\"key\": hex}: %v", err)
	}
	*q = ProofQuery(p)
	return nil
}
