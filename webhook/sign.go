package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderEventID   = "X-Sovereign-Event-Id"  // unique per event: de-duplicate by it
	HeaderSignature = "X-Sovereign-Signature" // "t=UNIX_SECONDS,v1=HEX"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock before it is refused as old (or replayed).
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: no valid signature header")
	ErrBadSignature = errors.New("webhook: signature does not match the body")
	ErrTooOld       = errors.New("webhook: timestamp outside the tolerance")
)

// mac is hex HMAC-SHA256(secret, "t.body").
func mac(secret string, t int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Sign is the X-Sovereign-Signature value of body sent at t under secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return fmt.Sprintf("t=%d,v1=%s", ts, mac(secret, ts, body))
}

// Verify checks a delivery: header is its X-Sovereign-Signature, body the
// raw request body (before any parsing), now the receiver's clock. It
// accepts when one v1 signature matches (several may be present while a
// secret is rotated) and the timestamp is within tolerance of now (zero:
// DefaultTolerance). It returns the signed timestamp.
func Verify(secret, header string, body []byte, tolerance time.Duration, now time.Time) (time.Time, error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts int64 = -1
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrNoSignature, v)
			}
			ts = n
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts < 0 || len(sigs) == 0 {
		return time.Time{}, ErrNoSignature
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			matched = true
		}
	}
	if !matched {
		return time.Time{}, ErrBadSignature
	}
	signed := time.Unix(ts, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return signed, fmt.Errorf("%w: signed %s, now %s, tolerance %s", ErrTooOld, signed.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	}
	return signed, nil
}
