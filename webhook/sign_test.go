package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"5.0.1"}`)
	now := time.Unix(1_800_000_000, 0)
	header := Sign("s3cret", now, body)
	if !strings.HasPrefix(header, "t=1800000000,v1=") {
		t.Fatalf("header %q", header)
	}
	if ts, err := Verify("s3cret", header, body, 0, now.Add(time.Minute)); err != nil || !ts.Equal(now) {
		t.Fatalf("valid delivery refused: %v %v", ts, err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           string
		now            time.Time
		want           error
	}{
		"other secret":        {"other", header, string(body), now, ErrBadSignature},
		"body changed":        {"s3cret", header, `{"id":"5.0.2"}`, now, ErrBadSignature},
		"timestamp changed":   {"s3cret", strings.Replace(header, "t=1800000000", "t=1800000001", 1), string(body), now, ErrBadSignature},
		"old (a replay)":      {"s3cret", header, string(body), now.Add(DefaultTolerance + time.Second), ErrTooOld},
		"from the future":     {"s3cret", header, string(body), now.Add(-DefaultTolerance - time.Second), ErrTooOld},
		"no header":           {"s3cret", "", string(body), now, ErrNoSignature},
		"old format":          {"s3cret", "sha256=abcd", string(body), now, ErrNoSignature},
		"timestamp not a num": {"s3cret", "t=x,v1=ab", string(body), now, ErrNoSignature},
	} {
		if _, err := Verify(c.secret, c.header, []byte(c.body), 0, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// rotation: a header with two signatures verifies under either secret
	rotated := header + ",v1=" + mac("new", now.Unix(), body)
	for _, s := range []string{"s3cret", "new"} {
		if _, err := Verify(s, rotated, body, 0, now); err != nil {
			t.Errorf("rotated header under %s: %v", s, err)
		}
	}
}
