package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeComet is a CometBFT RPC endpoint as RunCometBFT uses it: batches of
// broadcast_tx_sync go into the mempool, and every call of /status cuts a
// block of what waits.
type fakeComet struct {
	mu      sync.Mutex
	mempool []string
	blocks  [][]string
}

func (f *fakeComet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost:
		var reqs []cometRequest
		if err := json.NewDecoder(r.Body).Decode(&reqs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resps := make([]map[string]any, len(reqs))
		for i, q := range reqs {
			f.mempool = append(f.mempool, q.Params["tx"].(string))
			resps[i] = map[string]any{"jsonrpc": "2.0", "id": q.ID, "result": map[string]any{"code": 0}}
		}
		_ = json.NewEncoder(w).Encode(resps)
	case r.URL.Path == "/status":
		if len(f.mempool) > 0 {
			f.blocks, f.mempool = append(f.blocks, f.mempool), nil
		}
		fmt.Fprintf(w, `{"result":{"sync_info":{"latest_block_height":"%d"}}}`, len(f.blocks))
	case r.URL.Path == "/block":
		h, _ := strconv.Atoi(r.URL.Query().Get("height"))
		txs, _ := json.Marshal(f.blocks[h-1])
		fmt.Fprintf(w, `{"result":{"block":{"data":{"txs":%s}}}}`, txs)
	default:
		http.NotFound(w, r)
	}
}

// TestRunCometBFT: every submitted kvstore transaction is found final by
// its CometBFT hash (SHA-256 of the bytes), so the comparison counts what
// the other system finalised.
func TestRunCometBFT(t *testing.T) {
	a, b := httptest.NewServer(&fakeComet{}), httptest.NewServer(&fakeComet{})
	defer a.Close()
	defer b.Close()
	r, err := RunCometBFT(context.Background(), Config{RPC: []string{a.URL}, Txs: 500, Batch: 20, Rate: 5000, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Submitted != 500 || r.Final != 500 || r.Blocks == 0 {
		t.Fatalf("report %+v, want 500 submitted and final", r)
	}
	// Transactions sent to an endpoint the follower does not watch never
	// show as final: the run times out instead of reporting them.
	_, err = RunCometBFT(context.Background(), Config{RPC: []string{a.URL, b.URL}, Txs: 40, Batch: 10, Workers: 2, Timeout: time.Second})
	if err == nil {
		t.Fatal("transactions on an unwatched node reported final")
	}
}
