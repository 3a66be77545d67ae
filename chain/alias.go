package chain

import (
	"net/mail"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/nyaruka/phonenumbers"
)

// Aliases (docs/adr/0040-aliases.md). A customer gives a merchant a
// payment identifier (a phone number or an e-mail address); its servicing
// bank binds it to the account. The clear identifier never goes on chain:
// the chain keys the binding by AliasHash, a salted hash of the normalized
// identifier, and nothing indexes an account's aliases.

// Transaction types of aliases.
const (
	TxBindAlias   TxType = 13
	TxUnbindAlias TxType = 14
)

// BindAlias binds the alias whose hash is Alias to Account, which the
// sending bank services. Binding an alias the same bank already bound
// rebinds it; an alias bound by another bank must be unbound by that bank
// first.
type BindAlias struct {
	Alias   common.Hash
	Account common.Address
}

// UnbindAlias removes the binding of Alias; only the bank that bound it
// may send it.
type UnbindAlias struct {
	Alias common.Hash
}

func (BindAlias) TxType() TxType   { return TxBindAlias }
func (UnbindAlias) TxType() TxType { return TxUnbindAlias }

// AliasBinding is the state value under AliasKey: the account an alias
// names, its bank, and where the binding was made.
type AliasBinding struct {
	Account common.Address
	Bank    common.Address
	Height  uint64 // block of the bind transaction: final once that block is
	Time    uint64
}

// PrefixAlias is the state key prefix of alias bindings.
const PrefixAlias = 'l'

// AliasKey is the state key of the binding of an alias hash.
func AliasKey(h common.Hash) []byte { return append([]byte{PrefixAlias}, h[:]...) }

// Alias rejections.
var (
	ErrAliasNotFound = &RejectError{"alias_not_found"}
	ErrAliasTaken    = &RejectError{"alias_taken"}
	ErrBadAlias      = &RejectError{"bad_alias"}
)

// NormalizeAlias gives the one form of a payment identifier that is hashed:
// an e-mail address in lower case, or a phone number in E.164 ("+" and
// digits). A phone number must be given in international form (leading
// "+" or "00"), since the chain knows no home country.
func NormalizeAlias(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Reject(ErrBadAlias, "alias is empty")
	}
	if strings.Contains(s, "@") {
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Name != "" || addr.Address != s {
			return "", Reject(ErrBadAlias, "%q is not a plain e-mail address", s)
		}
		return strings.ToLower(s), nil
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		return "", Reject(ErrBadAlias, "phone number %q must start with + and its country code", s)
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", Reject(ErrBadAlias, "phone number %q: %v", s, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", Reject(ErrBadAlias, "%q is not a valid phone number", s)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// AliasHash is the on-chain name of a normalized alias under the chain's
// salt: Keccak-256(salt ‖ 0x00 ‖ normalized).
func AliasHash(salt []byte, normalized string) common.Hash {
	buf := make([]byte, 0, len(salt)+1+len(normalized))
	buf = append(append(append(buf, salt...), 0), normalized...)
	return crypto.Keccak256Hash(buf)
}

// AliasSalt is the chain's alias salt: the alias_salt parameter, or, when
// genesis leaves it out, one derived from the chain id (so every chain has
// its own salt without a genesis change).
func (g *Genesis) AliasSalt() []byte {
	if len(g.Params.AliasSalt) > 0 {
		return g.Params.AliasSalt
	}
	return crypto.Keccak256([]byte("sovereign/alias-salt/" + g.ChainID))
}

// HashAlias normalizes a clear alias and hashes it under the chain's salt.
func (g *Genesis) HashAlias(alias string) (common.Hash, error) {
	n, err := NormalizeAlias(alias)
	if err != nil {
		return common.Hash{}, err
	}
	return AliasHash(g.AliasSalt(), n), nil
}

// MinAliasSalt is the shortest alias_salt genesis accepts.
const MinAliasSalt = 16

func validateAliasSalt(p *problems, salt []byte) {
	if len(salt) > 0 && len(salt) < MinAliasSalt {
		p.fail("params.alias_salt", "%d bytes; want at least %d (or leave it out)", len(salt), MinAliasSalt)
	}
}
