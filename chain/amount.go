package chain

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatAmount renders minor units as a decimal string: 1234 with 2
// decimals is "12.34".
func FormatAmount(v uint64, decimals uint8) string {
	s := strconv.FormatUint(v, 10)
	if decimals == 0 {
		return s
	}
	d := int(decimals)
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return s[:len(s)-d] + "." + s[len(s)-d:]
}

// ParseAmount parses a decimal string into minor units, refusing more
// fractional digits than the asset has, signs, and overflow.
func ParseAmount(s string, decimals uint8) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("amount is empty")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" || whole == "" {
		return 0, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if len(frac) > int(decimals) {
		return 0, fmt.Errorf("amount %q has more than %d decimals", s, decimals)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("amount %q is not a decimal number", s)
			}
		}
	}
	digits := whole + frac + strings.Repeat("0", int(decimals)-len(frac))
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q is out of range", s)
	}
	return v, nil
}
