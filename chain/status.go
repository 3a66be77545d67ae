package chain

import "fmt"

// statusName is a status's stable name from names, or status_N for a value
// this version does not know (read from a newer store or peer).
func statusName[S ~uint8](names map[S]string, s S) string {
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("status_%d", uint8(s))
}
