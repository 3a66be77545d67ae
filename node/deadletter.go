package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The webhook dead-letter queue: a delivery that failed every attempt is
// kept, one file per webhook and event, under DATADIR/webhooks/dead, so
// delivery can move on without losing it. `sovereign node dead-letters`
// lists it and `sovereign node replay` delivers again (signed afresh) and
// removes what the endpoint took.

// DeadLetter is a delivery that failed every attempt.
type DeadLetter struct {
	ID           string          `json:"id"` // the event id
	URL          string          `json:"url"`
	Body         json.RawMessage `json:"body"` // exactly the body that was signed
	Attempts     int             `json:"attempts"`
	FirstAttempt time.Time       `json:"first_attempt"`
	LastAttempt  time.Time       `json:"last_attempt"`
	LastError    string          `json:"last_error"`
}

func deadLetterDir(dataDir string) string { return filepath.Join(dataDir, "webhooks", "dead") }

func deadLetterPath(dataDir, url, id string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(deadLetterDir(dataDir), hex.EncodeToString(sum[:8])+"-"+id+".json")
}

// saveDeadLetter writes d durably (temporary file, sync, rename).
func saveDeadLetter(dataDir string, d DeadLetter) error {
	path := deadLetterPath(dataDir, d.URL, d.ID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSynced(path, raw); err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	return nil
}

// DeadLetters lists the dead-letter queue of the node whose data directory
// is dataDir, oldest first.
func DeadLetters(dataDir string) ([]DeadLetter, error) {
	entries, err := os.ReadDir(deadLetterDir(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	var out []DeadLetter
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(deadLetterDir(dataDir), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("dead-letter queue: %w", err)
		}
		var d DeadLetter
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("dead letter %s: %w", e.Name(), err)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastAttempt.Before(out[j].LastAttempt) })
	return out, nil
}

// ReplayResult is what replaying one dead letter did.
type ReplayResult struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// ReplayDeadLetters delivers again the dead letters whose event id is in
// ids (all when ids is empty), each to its webhook in hooks (the secret
// signs it afresh), and removes those the endpoint took. A letter whose
// webhook is no longer configured stays, reported.
func ReplayDeadLetters(ctx context.Context, dataDir string, hooks []Webhook, ids []string) ([]ReplayResult, error) {
	letters, err := DeadLetters(dataDir)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	byURL := map[string]Webhook{}
	for _, h := range hooks {
		byURL[h.URL] = h
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var out []ReplayResult
	for _, d := range letters {
		if len(want) > 0 && !want[d.ID] {
			continue
		}
		delete(want, d.ID)
		r := ReplayResult{ID: d.ID, URL: d.URL}
		h, ok := byURL[d.URL]
		switch {
		case !ok:
			r.Error = "no webhook with this url is configured (--webhooks)"
		default:
			if err := postDelivery(ctx, client, h, d.ID, d.Body); err != nil {
				r.Error = err.Error()
			} else if err := os.Remove(deadLetterPath(dataDir, d.URL, d.ID)); err != nil {
				r.Error = fmt.Sprintf("delivered, but not removed from the queue: %v", err)
			} else {
				r.OK = true
			}
		}
		out = append(out, r)
	}
	for id := range want {
		out = append(out, ReplayResult{ID: id, Error: "not in the dead-letter queue"})
	}
	return out, nil
}
