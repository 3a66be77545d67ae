package chain

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"io"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Limits on a transaction's encoding, checked before anything else is done
// with it.
const (
	MaxTxBytes   = 16 * 1024
	MaxTxSigs    = 8
	signatureLen = crypto.SignatureLength
)

// txEnvelope is the wire form of a transaction: the one canonical encoding.
type txEnvelope struct {
	ChainID string
	Type    TxType
	Nonce   uint64
	Payload []byte
	Sigs    [][]byte
}

// Tx is a signed transaction. It caches its hash and its recovered signers,
// so a node recovers each signature once, from txpool to block apply, by
// sharing the same *Tx.
type Tx struct {
	env     txEnvelope
	body    Body
	hash    atomic.Pointer[common.Hash]
	signers atomic.Pointer[[]common.Address]
	raw     atomic.Pointer[[]byte] // canonical encoding, once computed
	// recovering is held while the signers are recovered, so goroutines
	// meeting the same *Tx at once (gossip validation, block execution)
	// recover it once between them, not once each.
	recovering sync.Mutex
}

// NewTx builds an unsigned transaction carrying body.
func NewTx(chainID string, nonce uint64, body Body) *Tx {
	payload, err := rlp.EncodeToBytes(body)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", body, err)) // bodies are plain structs; cannot fail
	}
	return &Tx{env: txEnvelope{ChainID: chainID, Type: body.TxType(), Nonce: nonce, Payload: payload}, body: body}
}

func (tx *Tx) ChainID() string { return tx.env.ChainID }
func (tx *Tx) Type() TxType    { return tx.env.Type }
func (tx *Tx) Nonce() uint64   { return tx.env.Nonce }
func (tx *Tx) Body() Body      { return tx.body }
func (tx *Tx) Sigs() [][]byte  { return tx.env.Sigs }

// Hash is Keccak-256 of the full canonical encoding: the record number.
func (tx *Tx) Hash() common.Hash {
	if h := tx.hash.Load(); h != nil {
		return *h
	}
	h := crypto.Keccak256Hash(tx.Bytes())
	tx.hash.Store(&h)
	return h
}

// Bytes returns the canonical encoding. It is computed once: a transaction
// is encoded for its hash, the block, the transactions root, the store and
// gossip, so caching it matters at thousands a second. Do not modify the
// returned slice.
func (tx *Tx) Bytes() []byte {
	if b := tx.raw.Load(); b != nil {
		return *b
	}
	b, err := rlp.EncodeToBytes(&tx.env)
	if err != nil {
		panic(err) // envelope of plain types; cannot fail
	}
	tx.raw.Store(&b)
	return b
}

// Size is the length of the canonical encoding.
func (tx *Tx) Size() int { return len(tx.Bytes()) }

// Sign appends a signature by key. The first signature is the sender's;
// later ones are co-signers (for example a withdrawal key).
func (tx *Tx) Sign(key *ecdsa.PrivateKey) error {
	sig, err := crypto.Sign(tx.SigningHash().Bytes(), key)
	if err != nil {
		return fmt.Errorf("sign tx: %w", err)
	}
	tx.env.Sigs = append(tx.env.Sigs, sig)
	tx.hash.Store(nil)
	tx.signers.Store(nil)
	tx.raw.Store(nil)
	return nil
}

// Signers recovers the address behind every signature, in order, once; later
// calls return the cached result. It refuses malleable (high-s) signatures so
// that a transaction's hash cannot be changed by a third party.
func (tx *Tx) Signers() ([]common.Address, error) {
	if s := tx.signers.Load(); s != nil {
		return *s, nil
	}
	tx.recovering.Lock()
	defer tx.recovering.Unlock()
	if s := tx.signers.Load(); s != nil {
		return *s, nil
	}
	if len(tx.env.Sigs) == 0 {
		return nil, Reject(ErrBadSignature, "transaction is not signed")
	}
	hash := tx.SigningHash()
	out := make([]common.Address, len(tx.env.Sigs))
	errs := make([]error, len(tx.env.Sigs))
	// Co-signatures (an account policy's) are recovered in parallel with
	// the sender's, so a co-signed transaction waits about one recovery.
	var wg sync.WaitGroup
	for i := 1; i < len(tx.env.Sigs); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = recoverTxSigner(hash, tx.env.Sigs[i])
		}()
	}
	out[0], errs[0] = recoverTxSigner(hash, tx.env.Sigs[0])
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i, err)
		}
	}
	tx.signers.Store(&out)
	return out, nil
}

// Sender is the first signer.
func (tx *Tx) Sender() (common.Address, error) {
	s, err := tx.Signers()
	if err != nil {
		return common.Address{}, err
	}
	return s[0], nil
}

// Recoveries counts the secp256k1 recoveries this process has done, by
// what was signed. A node recovers each signature once (ADR 0056), and the
// metric sovereign_signature_recoveries_total reads these counters to show
// it; they are process-wide because recovery happens where no node is known.
var Recoveries struct {
	Tx        atomic.Uint64 // transaction signatures and co-signatures
	Consensus atomic.Uint64 // proposals, votes and certificates
}

func recoverTxSigner(hash common.Hash, sig []byte) (common.Address, error) {
	Recoveries.Tx.Add(1)
	return recoverSigner(hash, sig)
}

// recoverSigner returns the address that produced sig over hash.
func recoverSigner(hash common.Hash, sig []byte) (common.Address, error) {
	if len(sig) != signatureLen {
		return common.Address{}, Reject(ErrBadSignature, "signature is %d bytes, want %d", len(sig), signatureLen)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, Reject(ErrBadSignature, "signature values out of range")
	}
	// The address is taken from the uncompressed key libsecp256k1 returns
	// (0x04 || X || Y, a point it has just computed, so on the curve)
	// without crypto.SigToPub's round trip through an ecdsa.PublicKey: that
	// decoding re-checks the point with big-integer arithmetic and
	// PubkeyToAddress encodes it back, a few µs a signature.
	pub, err := crypto.Ecrecover(hash.Bytes(), sig)
	if err != nil {
		return common.Address{}, Reject(ErrBadSignature, "recover: %v", err)
	}
	if len(pub) != 65 || pub[0] != 4 {
		return common.Address{}, Reject(ErrBadSignature, "recover: public key of %d bytes", len(pub))
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), nil
}

// EncodeRLP writes the canonical encoding.
func (tx *Tx) EncodeRLP(w io.Writer) error {
	_, err := w.Write(tx.Bytes())
	return err
}

// DecodeRLP reads a transaction and decodes its typed body, so a decoded Tx
// is always well-formed.
func (tx *Tx) DecodeRLP(s *rlp.Stream) error {
	raw, err := s.Raw()
	if err != nil {
		return err
	}
	return tx.decode(raw)
}

// DecodeTx parses a raw transaction, naming what is wrong with it.
func DecodeTx(raw []byte) (*Tx, error) {
	if len(raw) > MaxTxBytes {
		return nil, Reject(ErrTooLarge, "transaction is %d bytes, limit %d", len(raw), MaxTxBytes)
	}
	tx := new(Tx)
	if err := tx.decode(raw); err != nil {
		return nil, err
	}
	return tx, nil
}

func (tx *Tx) decode(raw []byte) error {
	return tx.decodeHashed(raw, crypto.Keccak256Hash(raw))
}

// decodeHashed is decode of raw whose hash h the caller has already taken.
func (tx *Tx) decodeHashed(raw []byte, h common.Hash) error {
	env, err := decodeEnvelope(raw)
	if err != nil {
		return Reject(ErrMalformed, "decode transaction: %v", err)
	}
	if len(env.Sigs) > MaxTxSigs {
		return Reject(ErrMalformed, "%d signatures, limit %d", len(env.Sigs), MaxTxSigs)
	}
	body, err := decodeBody(env.Type, env.Payload)
	if err != nil {
		return err
	}
	tx.env, tx.body = env, body
	own := append([]byte(nil), raw...) // raw may be a view into a larger buffer
	tx.raw.Store(&own)
	tx.hash.Store(&h)
	return nil
}

// rlpHash is Keccak-256 of the RLP encoding of v.
func rlpHash(v any) common.Hash {
	var buf bytes.Buffer
	if err := rlp.Encode(&buf, v); err != nil {
		panic(fmt.Sprintf("rlp hash %T: %v", v, err))
	}
	return crypto.Keccak256Hash(buf.Bytes())
}
