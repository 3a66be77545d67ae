package node

import (
	"bytes"
	"context"
	"crypto/hmac"
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
)

// Webhook is a bank back-end endpoint that receives every final event
// concerning its accounts as a signed JSON POST.
//
// Delivery is at least once: an event is retried with exponential backoff
// until the endpoint answers 2xx, and the last delivered event id is
// persisted in the data directory, so a restarted node resumes after it (an
// event may be delivered twice around a crash; receivers deduplicate by the
// X-Sovereign-Event-Id header). Each webhook has its own goroutine reading
// final blocks from the store, so a slow endpoint delays only itself, never
// block production.
type Webhook struct {
	URL      string           `json:"url"`
	Secret   string           `json:"secret"`             // HMAC-SHA256 key for X-Sovereign-Signature
	Accounts []common.Address `json:"accounts,omitempty"` // events concerning any of them (as party or bank); empty: all events
	// Backoff bounds between retries; zero: 250ms to 30s.
	MinBackoff time.Duration `json:"-"`
	MaxBackoff time.Duration `json:"-"`
}

// Headers of a webhook delivery.
const (
	HeaderEventID   = "X-Sovereign-Event-Id"
	HeaderSignature = "X-Sovereign-Signature" // "sha256=" + hex HMAC-SHA256(secret, body)
)

// LoadWebhooks reads a JSON list of webhooks ([{"url", "secret",
// "accounts"}]).
func LoadWebhooks(path string) ([]Webhook, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var out []Webhook
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("webhooks %s: %w", path, err)
	}
	for i, w := range out {
		if w.URL == "" || w.Secret == "" {
			return nil, fmt.Errorf("webhooks %s: [%d] needs url and secret", path, i)
		}
	}
	return out, nil
}

// Sign is the X-Sovereign-Signature value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
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
		if ww.w.MinBackoff <= 0 {
			ww.w.MinBackoff = 250 * time.Millisecond
		}
		if ww.w.MaxBackoff <= 0 {
			ww.w.MaxBackoff = 30 * time.Second
		}
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

// deliver POSTs one event until the endpoint takes it or ctx ends.
func (ww *webhookWorker) deliver(ctx context.Context, notice chain.Notice) error {
	body, err := json.Marshal(WebhookDelivery{ChainID: ww.n.cfg.Genesis.ChainID, Notice: rpc.RenderNotice(ww.n.cfg.Genesis, notice)})
	if err != nil {
		return err
	}
	sig := Sign(ww.w.Secret, body)
	backoff := ww.w.MinBackoff
	for attempt := 1; ; attempt++ {
		err := ww.post(ctx, notice.ID, body, sig)
		if err == nil {
			return nil
		}
		ww.n.log.Warn("webhook delivery failed; retrying", "url", ww.w.URL, "event", notice.ID, "attempt", attempt, "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, ww.w.MaxBackoff)
	}
}

func (ww *webhookWorker) post(ctx context.Context, id string, body []byte, sig string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ww.w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEventID, id)
	req.Header.Set(HeaderSignature, sig)
	resp, err := ww.client.Do(req)
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
	tmp := ww.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, ww.path)
}
