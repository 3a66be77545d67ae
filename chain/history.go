package chain

import "fmt"

// ErrBeforeSnapshot is returned for a block, receipt or certificate below
// the height of the snapshot a node started from: it never had them (its
// history starts there), which is not the same as their not existing. It
// wraps ErrNotFound, so callers that only ask "is it there?" still see a
// miss.
var ErrBeforeSnapshot = fmt.Errorf("before the snapshot this node started from: %w", ErrNotFound)
