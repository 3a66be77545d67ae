package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/webhook"
)

// TestWebhookDeadLetters: an endpoint that keeps failing gets each event
// MaxAttempts times, signed afresh each time; then the event waits in the
// dead-letter queue and delivery moves on to the next. Once the endpoint
// is back, a replay delivers every dead letter (verifiably signed, same
// event id) and empties the queue.
func TestWebhookDeadLetters(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	attempts := map[string]int{}
	delivered := map[string]int{}
	const secret = "dlq-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := webhook.Verify(secret, r.Header.Get(HeaderSignature), body, 0, time.Now()); err != nil {
			t.Errorf("delivery not verifiable: %v", err)
		}
		id := r.Header.Get(HeaderEventID)
		mu.Lock()
		defer mu.Unlock()
		attempts[id]++
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		delivered[id]++
	}))
	defer hook.Close()
	hooks := []Webhook{{URL: hook.URL, Secret: secret, MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}}
	dir := t.TempDir()
	n := startWebhookNode(t, dir, hooks)
	defer n.Close()
	c, err := wallet.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alice, bob := devnet.Key(devnet.Seed, "customer", 0), devnet.Address(devnet.Seed, "customer", 1)
	for i := 0; i < 2; i++ {
		tx, err := c.Transfer(ctx, alice, bob, "CNY", "1.00")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitFinal(ctx, tx.Hash()); err != nil {
			t.Fatal(err)
		}
	}
	var letters []DeadLetter
	for deadline := time.Now().Add(15 * time.Second); len(letters) < 2; time.Sleep(20 * time.Millisecond) {
		if letters, err = DeadLetters(dir); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters %+v, want both transfers'", letters)
		}
	}
	mu.Lock()
	for _, d := range letters {
		if d.Attempts != 3 || attempts[d.ID] != 3 || d.URL != hook.URL || d.LastError == "" {
			t.Errorf("dead letter %+v after %d attempts", d, attempts[d.ID])
		}
	}
	mu.Unlock()

	up.Store(true)
	res, err := ReplayDeadLetters(ctx, dir, hooks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) < 2 {
		t.Fatalf("replayed %+v", res)
	}
	mu.Lock()
	for _, d := range letters {
		if delivered[d.ID] != 1 {
			t.Errorf("event %s delivered %d times by the replay", d.ID, delivered[d.ID])
		}
	}
	mu.Unlock()
	for _, r := range res {
		if !r.OK {
			t.Errorf("replay %+v", r)
		}
	}
	if left, _ := DeadLetters(dir); len(left) != 0 {
		// later events may have been dead-lettered meanwhile, but not these
		for _, l := range left {
			for _, d := range letters {
				if l.ID == d.ID {
					t.Fatalf("replayed %s still queued", d.ID)
				}
			}
		}
	}
	if res, _ := ReplayDeadLetters(ctx, dir, hooks, []string{"9.9.9"}); len(res) != 1 || res[0].OK {
		t.Fatalf("replay of an unknown id: %+v", res)
	}
}

// startWebhookNode starts a devnet validator on dir (an empty block every
// 100 ms) that delivers to hooks.
func startWebhookNode(t *testing.T, dir string, hooks []Webhook) *Node {
	t.Helper()
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	n, err := New(Config{DataDir: dir, Genesis: g, Key: devnet.Key(devnet.Seed, "validator", 0),
		HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0), RPCAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetryScheduleLastsHours: by default an undeliverable event is retried
// for hours, backing off from 30 s to an hour, before it is dead-lettered.
func TestRetryScheduleLastsHours(t *testing.T) {
	d := Webhook{}.withDefaults().retryDelays()
	var total time.Duration
	for _, x := range d {
		total += x
	}
	if len(d) != DefaultMaxAttempts-1 || d[0] != 30*time.Second || d[len(d)-1] != time.Hour || total < 6*time.Hour || total > 12*time.Hour {
		t.Fatalf("%d delays %v, %s in all; want 30s doubling to 1h over 6-12 hours", len(d), d, total)
	}
	for i := 1; i < len(d); i++ {
		if d[i] < d[i-1] {
			t.Fatalf("delays shrink: %v", d)
		}
	}
}
