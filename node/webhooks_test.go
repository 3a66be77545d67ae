package node

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// countingSink counts successful deliveries per event id.
type countingSink struct {
	mu    sync.Mutex
	count map[string]int
}

func (s *countingSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.count[r.Header.Get(HeaderEventID)]++
	s.mu.Unlock()
}

func (s *countingSink) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.count {
		out[k] = v
	}
	return out
}

// TestWebhookResumesAndNeverBlocks: a hanging endpoint does not hold up
// blocks or other webhooks, and after a restart delivery resumes after the
// last delivered event instead of starting over.
func TestWebhookResumesAndNeverBlocks(t *testing.T) {
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer hanging.Close()
	defer close(hang)
	sink := &countingSink{count: map[string]int{}}
	good := httptest.NewServer(sink)
	defer good.Close()
	bob := devnet.Address(devnet.Seed, "customer", 1)
	hooks := []Webhook{{URL: hanging.URL, Secret: "x"}, {URL: good.URL, Secret: "y", Accounts: []common.Address{bob}}}
	dir := t.TempDir()
	start := func() *Node { return startWebhookNode(t, dir, hooks) }
	alice := devnet.Key(devnet.Seed, "customer", 0)
	transfer := func(n *Node) {
		t.Helper()
		c, err := wallet.Dial(n.RPCURL())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tx, err := c.Transfer(ctx, alice, bob, "CNY", "1.00")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitFinal(ctx, tx.Hash()); err != nil {
			t.Fatalf("a hanging webhook held up the chain: %v", err)
		}
	}
	waitDelivered := func(n int) map[string]int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := sink.snapshot()
			if len(got) >= n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivered %v, want %d events", got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	n := start()
	transfer(n)
	waitDelivered(1)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = start()
	defer n.Close()
	transfer(n)
	got := waitDelivered(2)
	time.Sleep(300 * time.Millisecond)
	for id, c := range sink.snapshot() {
		if c != 1 {
			t.Fatalf("event %s delivered %d times across a clean restart (%v)", id, c, got)
		}
	}
}
