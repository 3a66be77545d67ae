package txpool

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// What the pool remembers of transactions it no longer holds: recent
// rejections (for status queries) and recent inclusions (so late gossip of
// a committed transaction is not verified again). Some outcomes are final:
// they cannot change for the same bytes (a bad signature, a nonce the ledger
// has passed, an inclusion), so a resubmission is answered from memory
// without recovering its signature. All writes happen under Pool.mu, which
// orders them: an inclusion is never overwritten by a rejection decided
// around the same time.

// rejection is a remembered rejection.
type rejection struct {
	code  string
	final bool
}

// rejectCodes maps codes back to their sentinels.
var rejectCodes = func() map[string]*chain.RejectError {
	m := make(map[string]*chain.RejectError, len(chain.AllRejectCodes))
	for _, e := range chain.AllRejectCodes {
		m[e.Code] = e
	}
	return m
}()

var errIncluded = fmt.Errorf("already included in a block: %w", chain.ErrAlreadyKnown)

// finalRejection returns the error for a hash rejected for good, or nil.
func (p *Pool) finalRejection(h common.Hash) error {
	r, ok := p.rejected.Peek(h)
	if !ok || !r.final || rejectCodes[r.code] == nil {
		return nil
	}
	return fmt.Errorf("rejected before: %w", rejectCodes[r.code])
}

// recordRejected remembers a rejection, unless a block included the
// transaction meanwhile. Caller holds p.mu.
func (p *Pool) recordRejected(h common.Hash, err error, final bool) {
	if !p.included.has(h) {
		p.rejected.Add(h, rejection{code: chain.CodeOf(err), final: final})
	}
}

// recordIncluded remembers that a block included h. Caller holds p.mu.
func (p *Pool) recordIncluded(h common.Hash) {
	p.included.add(h)
	p.rejected.Remove(h)
}

// hashSet remembers at least the last n hashes added, at most 2n, in two
// generations of maps: cheaper than an LRU list, and exact recency does not
// matter here.
type hashSet struct {
	n         int
	cur, prev map[common.Hash]struct{}
}

func newHashSet(n int) *hashSet {
	return &hashSet{n: n, cur: make(map[common.Hash]struct{})}
}

func (s *hashSet) add(h common.Hash) {
	if len(s.cur) >= s.n {
		s.prev, s.cur = s.cur, make(map[common.Hash]struct{}, s.n)
	}
	s.cur[h] = struct{}{}
}

func (s *hashSet) has(h common.Hash) bool {
	if _, ok := s.cur[h]; ok {
		return true
	}
	_, ok := s.prev[h]
	return ok
}
