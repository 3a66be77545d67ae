package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/golang-jwt/jwt/v5"
)

// Role is what a caller may see (docs/adr/0020-rpc-access-control.md).
type Role string

// The roles. A caller without a token is public.
const (
	RolePublic  Role = "public"  // chain info, headers and blocks, a transaction by hash, proofs of public state
	RoleAccount Role = "account" // its own account, escrows, payouts and events; may submit transactions
	RoleBank    Role = "bank"    // its own and its customers' records, its reconciliation and payouts
	RoleAdmin   Role = "admin"   // everything: the operator of the node
)

// Roles lists the roles from least to most.
var Roles = []Role{RolePublic, RoleAccount, RoleBank, RoleAdmin}

// ParseRole accepts a role's name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want public, account, bank or admin)", s)
}

// needsSubject: an account or bank token is about one address.
func (r Role) needsSubject() bool { return r == RoleAccount || r == RoleBank }

// Claims are what a token says about its bearer.
type Claims struct {
	Role    Role
	Subject common.Address // the account or bank; zero for public and admin
	Expires time.Time
}

// MinSecretBytes is the shortest token secret accepted (HS256's key size).
const MinSecretBytes = 32

// Numeric code and string codes of the access errors.
const (
	CodeUnauthorized = -32010 // bad, expired or mis-signed token (HTTP 401)
	CodeForbidden    = -32011 // the caller's role or subject may not make this call

	ErrCodeUnauthorized = "unauthorized"
	ErrCodeForbidden    = "forbidden"
)

// Sentinel errors of token parsing.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenInvalid = errors.New("token invalid")
)

// tokenClaims is the JWT body: {"role":..., "sub":"0x...", "exp":..., "iat":...}.
type tokenClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// MintToken signs claims with secret (HS256).
func MintToken(secret []byte, c Claims) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("token secret is %d bytes, want at least %d", len(secret), MinSecretBytes)
	}
	tc := tokenClaims{Role: string(c.Role), RegisteredClaims: jwt.RegisteredClaims{
		ExpiresAt: jwt.NewNumericDate(c.Expires), IssuedAt: jwt.NewNumericDate(time.Now()),
	}}
	if c.Role.needsSubject() {
		tc.Subject = c.Subject.Hex()
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString(secret)
}

func (c Claims) validate() error {
	if _, err := ParseRole(string(c.Role)); err != nil {
		return err
	}
	if c.Role.needsSubject() && c.Subject == (common.Address{}) {
		return fmt.Errorf("a %s token needs a subject address", c.Role)
	}
	if !c.Role.needsSubject() && c.Subject != (common.Address{}) {
		return fmt.Errorf("a %s token has no subject", c.Role)
	}
	if c.Expires.IsZero() {
		return errors.New("a token needs an expiry")
	}
	return nil
}

// ParseToken verifies a token's HS256 signature with secret and its expiry
// against now, and returns its claims. Every failure wraps ErrTokenInvalid
// or ErrTokenExpired.
func ParseToken(secret []byte, token string, now time.Time) (Claims, error) {
	var tc tokenClaims
	_, err := jwt.ParseWithClaims(token, &tc, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	c := Claims{Role: Role(tc.Role), Expires: tc.ExpiresAt.Time}
	if tc.Subject != "" {
		if !common.IsHexAddress(tc.Subject) {
			return Claims{}, fmt.Errorf("%w: subject %q is not an address", ErrTokenInvalid, tc.Subject)
		}
		c.Subject = common.HexToAddress(tc.Subject)
	}
	if err := c.validate(); err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	return c, nil
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header
// (ok false when there is none).
func bearer(r *http.Request) (token string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, nil
	}
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false, fmt.Errorf("%w: Authorization header must be \"Bearer TOKEN\"", ErrTokenInvalid)
	}
	return strings.TrimSpace(tok), true, nil
}

// LoadSecret reads a token secret file: hex (with or without 0x), at least
// MinSecretBytes bytes, as geth's jwtsecret file.
func LoadSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rpc token secret: %w", err)
	}
	s := strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x")
	secret, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("rpc token secret %s: not hex: %w", path, err)
	}
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("rpc token secret %s: %d bytes, want at least %d", path, len(secret), MinSecretBytes)
	}
	return secret, nil
}

// LoadOrCreateSecret reads the secret at path, creating it (32 random
// bytes, hex, mode 0600) when the file does not exist. created says which.
func LoadOrCreateSecret(path string) (secret []byte, created bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		secret = make([]byte, MinSecretBytes)
		if _, err := rand.Read(secret); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create rpc token secret: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("write rpc token secret: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("write rpc token secret: %w", err)
		}
		return secret, true, nil
	}
	secret, err = LoadSecret(path)
	return secret, false, err
}

// verifiedTokens is how many verified tokens the server remembers, so that
// a client sending the same token on every request pays the HMAC and JSON
// decoding once.
const verifiedTokens = 4096

// verify is ParseToken with a cache of tokens verified before. Only tokens
// that verified are cached, keyed by the whole token (signature included),
// and the expiry is checked again on every use.
func (e *edge) verify(secret []byte, token string, now time.Time) (Claims, error) {
	if c, ok := e.tokens.Get(token); ok {
		if now.Before(c.Expires) {
			return c, nil
		}
		e.tokens.Remove(token)
	}
	c, err := ParseToken(secret, token, now)
	if err == nil {
		e.tokens.Add(token, c)
	}
	return c, err
}
