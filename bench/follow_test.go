package bench

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestBlockFeedMakesUpMissedHeights: heads that skip heights (a dropped
// notification, a dropped subscription) and a failed fetch still feed every
// height from the first once, in order.
func TestBlockFeedMakesUpMissedHeights(t *testing.T) {
	var fed []uint64
	failAt := map[uint64]bool{7: true} // fails once
	feed := &blockFeed{
		fetch: func(h uint64) (*rpc.Block, error) {
			if failAt[h] {
				delete(failAt, h)
				return nil, errors.New("connection reset")
			}
			return &rpc.Block{Header: rpc.Header{Height: h}}, nil
		},
		add: func(b *rpc.Block, _ time.Time) { fed = append(fed, b.Height) },
	}
	for _, final := range []uint64{3, 3, 5, 9, 8, 12} {
		feed.upTo(final)
	}
	if want := []uint64{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(fed, want) {
		t.Fatalf("fed %v, want %v", fed, want)
	}
}
