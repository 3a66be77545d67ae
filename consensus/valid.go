package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// ValidValue is the data behind the safety record's valid value: the block
// itself and the prevotes from more than 2/3 of the power for it at Round
// (its proof of lock). A validator that crashes while locked needs both to
// re-propose the block after a restart; without them a chain whose
// validators all crash mid-height could stay locked forever. The node
// persists it with the safety record (Ready.Valid) and passes it back in
// StartState.Valid.
type ValidValue struct {
	Round    uint32
	Block    *chain.Block
	Prevotes []*Vote
}

type wireValid struct {
	Round    uint32
	Block    *chain.Block
	Prevotes [][]byte // each an encoded vote Message
}

// Encode returns the canonical RLP encoding.
func (v *ValidValue) Encode() []byte {
	w := wireValid{Round: v.Round, Block: v.Block}
	for _, pv := range v.Prevotes {
		w.Prevotes = append(w.Prevotes, Message{Vote: pv}.Encode())
	}
	b, err := rlp.EncodeToBytes(&w)
	if err != nil {
		panic(fmt.Sprintf("encode valid value: %v", err))
	}
	return b
}

// DecodeValidValue parses what Encode wrote.
func DecodeValidValue(b []byte) (*ValidValue, error) {
	var w wireValid
	if err := rlp.DecodeBytes(b, &w); err != nil {
		return nil, fmt.Errorf("decode valid value: %w", err)
	}
	if w.Block == nil || w.Block.Header == nil {
		return nil, fmt.Errorf("decode valid value: no block")
	}
	v := &ValidValue{Round: w.Round, Block: w.Block}
	for i, raw := range w.Prevotes {
		msg, err := DecodeMessage(raw)
		if err != nil || msg.Vote == nil {
			return nil, fmt.Errorf("decode valid value: prevote %d: %v", i, err)
		}
		v.Prevotes = append(v.Prevotes, msg.Vote)
	}
	return v, nil
}
