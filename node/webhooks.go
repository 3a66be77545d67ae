package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/webhook"
)

// Webhook is a bank back-end endpoint that receives every final event
// concerning its accounts as a signed JSON POST.
//
// Delivery is at least once: an event is retried with exponential backoff
// for hours (MaxAttempts, 30s doubling to 1h by default: about nine hours)
// until the endpoint answers 2xx; after the last attempt it waits in the
// dead-letter queue (deadletter.go), where an operator can replay it, and
// delivery moves on. Every attempt is signed afresh over a timestamp and the
// body (package webhook), so receivers can refuse old or replayed
// deliveries. The last delivered (or dead-lettered) event id is
// persisted in the data directory, so a restarted node resumes after it (an
// event may be delivered twice around a crash; receivers deduplicate by the
// X-Sovereign-Event-Id header). Each webhook has its own goroutine reading
// final blocks from the store, so a slow endpoint delays only itself, never
// block production.
type Webhook struct {
	URL      string           `json:"url"`
	Secret   string           `json:"secret"`             // HMAC-SHA256 key for X-Sovereign-Signature
	Accounts []common.Address `json:"accounts,omitempty"` // events concerning any of them (as party or bank); empty: all events
	// MaxAttempts is how many times an event is tried before it goes to
	// the dead-letter queue; zero: DefaultMaxAttempts.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// Backoff bounds between retries; zero: 30s to 1h.
	MinBackoff time.Duration `json:"-"`
	MaxBackoff time.Duration `json:"-"`
}

// Retry defaults: 30s doubling to an hour, 16 attempts, about nine hours in
// all before an event is dead-lettered.
const (
	DefaultMinBackoff  = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultMaxAttempts = 16
)

// Headers of a webhook delivery (package webhook verifies them).
const (
	HeaderEventID   = webhook.HeaderEventID
	HeaderSignature = webhook.HeaderSignature // "t=UNIX_SECONDS,v1=" + hex HMAC-SHA256(secret, "t.body")
)

// LoadWebhooks reads a JSON list of webhooks ([{"url", "secret",
// "accounts"}]).
func LoadWebhooks(path string) ([]Webhook, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	out, err := ParseWebhooks(raw)
	if err != nil {
		return nil, fmt.Errorf("webhooks %s: %w", path, err)
	}
	return out, nil
}

// ParseWebhooks decodes a JSON list of webhooks, refusing unknown fields
// and entries without url or secret (the webhooks file, and the config
// file's [[webhooks]] tables).
func ParseWebhooks(raw []byte) ([]Webhook, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var out []Webhook
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	for i, w := range out {
		if w.URL == "" || w.Secret == "" {
			return nil, fmt.Errorf("[%d] needs url and secret", i)
		}
	}
	return out, nil
}

// WebhookDelivery is the JSON body of a webhook POST.
type WebhookDelivery struct {
	ChainID string `json:"chain_id"`
	rpc.Notice
}

// webhookCursor is the last event delivered to a webhook.
type webhookCursor struct {
	Height   uint64 `json:"height"`
	Position int    `json:"position"`
	Index    int    `json:"index"`
	ID       string `json:"id"`
}

func (c webhookCursor) after(n chain.Notice) bool {
	switch {
	case n.Height != c.Height:
		return n.Height > c.Height
	case n.Position != c.Position:
		return n.Position > c.Position
	}
	return n.Index > c.Index
}

type webhookWorker struct {
	n      *Node
	w      Webhook
	path   string // cursor file
	client *http.Client
}

// startWebhooks starts one delivery goroutine per configured webhook.
func (n *Node) startWebhooks(ctx context.Context) {
	for _, w := range n.cfg.Webhooks {
		sum := sha256.Sum256([]byte(w.URL))
		ww := &webhookWorker{n: n, w: w, path: filepath.Join(n.cfg.DataDir, "webhooks", hex.EncodeToString(sum[:8])+".json"),
			client: &http.Client{Timeout: 10 * time.Second}}
		ww.w = ww.w.withDefaults()
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := ww.run(ctx); err != nil && ctx.Err() == nil {
				n.log.Error("webhook stopped", "url", w.URL, "err", err)
			}
		}()
	}
}

func (ww *webhookWorker) run(ctx context.Context) error {
	cur, ok, err := ww.loadCursor()
	if err != nil {
		return err
	}
	if !ok { // a new webhook starts with the next final block
		cur = webhookCursor{Height: ww.n.ledger.Head().Height, Position: 1 << 30}
	}
	for height := cur.Height; ; height++ {
		if err := waitFinal(ctx, ww.n.final, ww.n.ledger, height); err != nil {
			return err
		}
		if height == 0 {
			continue
		}
		b, _, receipts, err := finalBlock(ww.n.ledger, height)
		if err != nil {
			return fmt.Errorf("read block %d: %w", height, err)
		}
		for _, notice := range chain.BlockNotices(b, receipts) {
			if !cur.after(notice) || !ww.wants(&notice.Event) {
				continue
			}
			if err := ww.deliver(ctx, notice); err != nil {
				return err
			}
			cur = webhookCursor{Height: notice.Height, Position: notice.Position, Index: notice.Index, ID: notice.ID}
			if err := ww.saveCursor(cur); err != nil {
				return err
			}
		}
	}
}

func (ww *webhookWorker) wants(ev *chain.Event) bool {
	if len(ww.w.Accounts) == 0 {
		return true
	}
	for _, a := range ww.w.Accounts {
		if ev.Concerns(a) {
			return true
		}
	}
	return false
}

// deliver POSTs one event until the endpoint takes it, or, after the last
// attempt, puts it in the dead-letter queue; it returns early only when ctx
// ends.
func (ww *webhookWorker) deliver(ctx context.Context, notice chain.Notice) error {
	body, err := json.Marshal(WebhookDelivery{ChainID: ww.n.cfg.Genesis.ChainID, Notice: rpc.RenderNotice(ww.n.cfg.Genesis, notice)})
	if err != nil {
		return err
	}
	delays := ww.w.retryDelays()
	first := time.Now()
	for attempt := 1; ; attempt++ {
		err := postDelivery(ctx, ww.client, ww.w, notice.ID, body)
		if err == nil {
			return nil
		}
		if attempt > len(delays) {
			ww.n.log.Error("webhook delivery failed for good; dead-lettered", "url", ww.w.URL, "event", notice.ID, "attempts", attempt, "err", err)
			return saveDeadLetter(ww.n.cfg.DataDir, DeadLetter{ID: notice.ID, URL: ww.w.URL, Body: body, Attempts: attempt,
				FirstAttempt: first, LastAttempt: time.Now(), LastError: err.Error()})
		}
		backoff := delays[attempt-1]
		ww.n.log.Warn("webhook delivery failed; retrying", "url", ww.w.URL, "event", notice.ID, "attempt", attempt, "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// withDefaults fills in the retry settings left at zero.
func (w Webhook) withDefaults() Webhook {
	if w.MinBackoff <= 0 {
		w.MinBackoff = DefaultMinBackoff
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	return w
}

// retryDelays is the wait after each failed attempt but the last:
// MinBackoff doubling up to MaxBackoff, MaxAttempts-1 of them.
func (w Webhook) retryDelays() []time.Duration {
	out := make([]time.Duration, 0, max(w.MaxAttempts-1, 0))
	for d := w.MinBackoff; len(out) < w.MaxAttempts-1; d = min(2*d, w.MaxBackoff) {
		out = append(out, d)
	}
	return out
}

// postDelivery POSTs one attempt, signed now.
func postDelivery(ctx context.Context, client *http.Client, w Webhook, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEventID, id)
	req.Header.Set(HeaderSignature, webhook.Sign(w.Secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

func (ww *webhookWorker) loadCursor() (webhookCursor, bool, error) {
	raw, err := os.ReadFile(ww.path)
	if errors.Is(err, os.ErrNotExist) {
		return webhookCursor{}, false, nil
	}
	if err != nil {
		return webhookCursor{}, false, fmt.Errorf("read webhook cursor: %w", err)
	}
	var c webhookCursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return webhookCursor{}, false, fmt.Errorf("webhook cursor %s: %w", ww.path, err)
	}
	return c, true, nil
}

// saveCursor writes the cursor durably: temporary file, sync, rename.
func (ww *webhookWorker) saveCursor(c webhookCursor) error {
	if err := os.MkdirAll(filepath.Dir(ww.path), 0o700); err != nil {
		return err
	}
	raw, _ := json.Marshal(c)
	return writeFileSynced(ww.path, raw)
}
