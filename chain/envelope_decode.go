package chain

import (
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/rlp"
)

// decodeEnvelope parses a transaction's wire form. It accepts exactly what
// rlp.DecodeBytes(raw, &txEnvelope{}) accepts (canonical RLP, a list of
// exactly five fields, nothing after it) and gives the same fields, but
// walks the bytes with rlp's Split functions instead of reflection: every
// block of an audit or a sync decodes thousands of transactions.
// TestDecodeEnvelopeMatchesRLP holds the two to the same answers.
//
// Payload and signatures are copied into one buffer of their own (raw is
// often a view into a whole block), each sub-slice capped so that an append
// to one cannot write into the next.
func decodeEnvelope(raw []byte) (txEnvelope, error) {
	var env txEnvelope
	fields, rest, err := rlp.SplitList(raw)
	if err != nil {
		return env, err
	}
	if len(rest) > 0 {
		return env, rlp.ErrMoreThanOneValue
	}
	chainID, fields, err := splitField(fields, "ChainID")
	if err != nil {
		return env, err
	}
	typ, fields, err := splitUintField(fields, "Type", math.MaxUint8)
	if err != nil {
		return env, err
	}
	nonce, fields, err := splitUintField(fields, "Nonce", math.MaxUint64)
	if err != nil {
		return env, err
	}
	payload, fields, err := splitField(fields, "Payload")
	if err != nil {
		return env, err
	}
	if len(fields) == 0 {
		return env, errTooFewFields
	}
	sigList, fields, err := rlp.SplitList(fields)
	if err != nil {
		return env, fmt.Errorf("%w for chain.txEnvelope.Sigs", err)
	}
	if len(fields) > 0 {
		return env, errTooManyFields
	}
	var sigs [][]byte
	size := len(payload)
	for l := sigList; len(l) > 0; {
		var sig []byte
		if sig, l, err = rlp.SplitString(l); err != nil {
			return env, fmt.Errorf("%w for chain.txEnvelope.Sigs", err)
		}
		sigs = append(sigs, sig)
		size += len(sig)
	}
	buf := make([]byte, 0, size)
	env.ChainID, env.Type, env.Nonce = string(chainID), TxType(typ), nonce
	env.Payload, buf = own(buf, payload)
	if sigs != nil {
		env.Sigs = make([][]byte, len(sigs))
		for i, s := range sigs {
			env.Sigs[i], buf = own(buf, s)
		}
	} else {
		env.Sigs = [][]byte{}
	}
	return env, nil
}

var (
	errTooFewFields  = fmt.Errorf("rlp: too few elements for chain.txEnvelope")
	errTooManyFields = fmt.Errorf("rlp: input list has too many elements for chain.txEnvelope")
)

// own copies b to the end of buf and returns the copy, capped at its length.
func own(buf, b []byte) (copied, rest []byte) {
	start := len(buf)
	buf = append(buf, b...)
	return buf[start:len(buf):len(buf)], buf
}

func splitField(b []byte, name string) (content, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errTooFewFields
	}
	if content, rest, err = rlp.SplitString(b); err != nil {
		return nil, nil, fmt.Errorf("%w for chain.txEnvelope.%s", err, name)
	}
	return content, rest, nil
}

func splitUintField(b []byte, name string, max uint64) (x uint64, rest []byte, err error) {
	if len(b) == 0 {
		return 0, nil, errTooFewFields
	}
	if x, rest, err = rlp.SplitUint64(b); err != nil {
		return 0, nil, fmt.Errorf("%w for chain.txEnvelope.%s", err, name)
	}
	if x > max {
		return 0, nil, fmt.Errorf("rlp: input string too long for chain.TxType, decoding into (chain.txEnvelope).%s", name)
	}
	return x, rest, nil
}
