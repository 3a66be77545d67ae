package consensus

import (
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// RoundStep is a step within a round, in the order a validator signs.
type RoundStep uint8

const (
	StepNone      RoundStep = 0 // nothing signed yet at this height (SafetyRecord only)
	StepPropose   RoundStep = 1
	StepPrevote   RoundStep = 2
	StepPrecommit RoundStep = 3
)

func (s RoundStep) String() string {
	switch s {
	case StepNone:
		return "none"
	case StepPropose:
		return "propose"
	case StepPrevote:
		return "prevote"
	case StepPrecommit:
		return "precommit"
	}
	return fmt.Sprintf("step(%d)", uint8(s))
}

// SafetyRecord is what a validator must have on disk (synced) before any
// message it signed leaves the node: the last height, round and step it
// signed at, and its lock and valid value at that height. The machine
// refuses to sign at or below (Height, Round, Step), as cometbft's privval
// CheckHRS does, so a validator restarted from its last record can never
// sign two different messages for one step.
//
// The lock fields belong to Height: a record from an older height holds no
// lock. A block hash of zero means "none" (LockedRound/ValidRound are then
// -1), so the zero SafetyRecord is a valid "never signed" record.
type SafetyRecord struct {
	Height      uint64      `json:"height"`
	Round       uint32      `json:"round"`
	Step        RoundStep   `json:"step"`
	LockedRound int32       `json:"locked_round"`
	LockedBlock common.Hash `json:"locked_block"`
	ValidRound  int32       `json:"valid_round"`
	ValidBlock  common.Hash `json:"valid_block"`
	// Votes are the votes signed at Height in Round and the round before,
	// re-sent after a restart: the crash may have come before they left
	// the node, and a peer still in the round before may need them to time
	// out into ours (line 47).
	Votes []*Vote `json:"votes,omitempty"`
}

// allows reports whether signing at (h, r, s) moves strictly forward.
func (sr *SafetyRecord) allows(h uint64, r uint32, s RoundStep) bool {
	if h != sr.Height {
		return h > sr.Height
	}
	if r != sr.Round {
		return r > sr.Round
	}
	return s > sr.Step
}

// equal reports whether two records are the same.
func (sr *SafetyRecord) equal(o *SafetyRecord) bool {
	if sr.Height != o.Height || sr.Round != o.Round || sr.Step != o.Step || sr.LockedRound != o.LockedRound ||
		sr.LockedBlock != o.LockedBlock || sr.ValidRound != o.ValidRound || sr.ValidBlock != o.ValidBlock || len(sr.Votes) != len(o.Votes) {
		return false
	}
	for i := range sr.Votes {
		if sr.Votes[i] != o.Votes[i] {
			return false
		}
	}
	return true
}

// Encode returns the record's JSON form.
func (sr SafetyRecord) Encode() []byte {
	b, err := json.Marshal(sr)
	if err != nil {
		panic(fmt.Sprintf("encode safety record: %v", err)) // plain values; cannot fail
	}
	return b
}

// DecodeSafetyRecord parses what Encode wrote.
func DecodeSafetyRecord(b []byte) (*SafetyRecord, error) {
	sr := new(SafetyRecord)
	if err := json.Unmarshal(b, sr); err != nil {
		return nil, fmt.Errorf("decode safety record: %w", err)
	}
	if sr.Step > StepPrecommit {
		return nil, fmt.Errorf("decode safety record: step %d out of range", sr.Step)
	}
	return sr, nil
}
