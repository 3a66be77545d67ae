package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// RunCometBFT drives a CometBFT kvstore testnet with the same load shape
// as Run drives Sovereign (cfg.Txs in batches of cfg.Batch at cfg.Rate over
// cfg.Workers, spread across cfg.RPC), for the side-by-side comparison of
// issue 11 (scripts/compare-cometbft.sh). Transactions are unique
// "key=value" pairs, unsigned, submitted with broadcast_tx_sync (which
// returns after CheckTx, as sov_sendRawTransactions returns after
// admission); a block is seen final when the first RPC endpoint reports it,
// polled every 10 ms. CPU comes from cfg.Metrics (CometBFT's Prometheus
// endpoints), if given.
func RunCometBFT(ctx context.Context, cfg Config) (Report, error) {
	cfg.fill()
	if len(cfg.RPC) == 0 {
		return Report{}, fmt.Errorf("no RPC URL")
	}
	run := time.Now().UnixNano()
	txs := make([][]byte, cfg.Txs)
	hashes := make([]common.Hash, cfg.Txs)
	for i := range txs {
		txs[i] = fmt.Appendf(nil, "bench-%d-%d=%d", run, i, i)
		hashes[i] = sha256.Sum256(txs[i]) // CometBFT's transaction hash
	}
	before, cpuOK := nodesCPU(ctx, cfg.Metrics)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	final := newFinalTracker(len(txs))
	stop, err := followComet(ctx, cfg.RPC[0], final)
	if err != nil {
		return Report{}, err
	}
	defer stop()
	send := func(ctx context.Context, worker, from, to int) error {
		return broadcastComet(ctx, cfg.RPC[worker%len(cfg.RPC)], txs[from:to])
	}
	r, err := drive(ctx, cfg, hashes, send, final)
	if after, ok := nodesCPU(ctx, cfg.Metrics); err == nil && cpuOK && ok && r.Final > 0 {
		r.NodeCPU = time.Duration((after - before) * float64(time.Second))
		r.CPUPerTx = r.NodeCPU / time.Duration(r.Final)
	}
	return r, err
}

type cometRequest struct {
	JSONRPC string         `json:"jsonrpc"`
	ID      int            `json:"id"`
	Method  string         `json:"method"`
	Params  map[string]any `json:"params"`
}

type cometResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

// broadcastComet submits txs in one JSON-RPC batch of broadcast_tx_sync; an
// error or a non-zero CheckTx code for any is an error.
func broadcastComet(ctx context.Context, url string, txs [][]byte) error {
	reqs := make([]cometRequest, len(txs))
	for i, tx := range txs {
		reqs[i] = cometRequest{JSONRPC: "2.0", ID: i, Method: "broadcast_tx_sync", Params: map[string]any{"tx": base64.StdEncoding.EncodeToString(tx)}}
	}
	var raw json.RawMessage
	if err := postJSON(ctx, url, reqs, &raw); err != nil {
		return err
	}
	var resps []cometResponse
	if err := json.Unmarshal(raw, &resps); err != nil {
		var one cometResponse // the whole batch refused (max_request_batch_size, say)
		if json.Unmarshal(raw, &one) == nil && one.Error != nil {
			return fmt.Errorf("batch of %d refused: %s %s", len(txs), one.Error.Message, one.Error.Data)
		}
		return fmt.Errorf("broadcast_tx_sync batch: %w", err)
	}
	for _, r := range resps {
		if r.Error != nil {
			return fmt.Errorf("broadcast_tx_sync: %s %s", r.Error.Message, r.Error.Data)
		}
		var res struct {
			Code uint32 `json:"code"`
			Log  string `json:"log"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil {
			return fmt.Errorf("broadcast_tx_sync result: %w", err)
		}
		if res.Code != 0 {
			return fmt.Errorf("broadcast_tx_sync: code %d: %s", res.Code, res.Log)
		}
	}
	return nil
}

// followComet polls url for new blocks every 10 ms and records their
// transactions as final when seen.
func followComet(ctx context.Context, url string, f *finalTracker) (func(), error) {
	next, err := cometHeight(ctx, url)
	if err != nil {
		return nil, err
	}
	next++
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			head, err := cometHeight(ctx, url)
			for ; err == nil && next <= head; next++ {
				var txs []common.Hash
				if txs, err = cometBlockTxs(ctx, url, next); err == nil {
					f.addBlock(txs, make([]string, len(txs)), time.Now())
				}
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

func cometHeight(ctx context.Context, url string) (uint64, error) {
	var st struct {
		Result struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := getJSON(ctx, url+"/status", &st); err != nil {
		return 0, err
	}
	return strconv.ParseUint(st.Result.SyncInfo.Height, 10, 64)
}

func cometBlockTxs(ctx context.Context, url string, h uint64) ([]common.Hash, error) {
	var b struct {
		Result struct {
			Block struct {
				Data struct {
					Txs []string `json:"txs"`
				} `json:"data"`
			} `json:"block"`
		} `json:"result"`
	}
	if err := getJSON(ctx, fmt.Sprintf("%s/block?height=%d", url, h), &b); err != nil {
		return nil, err
	}
	out := make([]common.Hash, len(b.Result.Block.Data.Txs))
	for i, s := range b.Result.Block.Data.Txs {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", h, i, err)
		}
		out[i] = sha256.Sum256(raw)
	}
	return out, nil
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return doJSON(req, out)
}

func postJSON(ctx context.Context, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return doJSON(req, out)
}

func doJSON(req *http.Request, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", req.Method, req.URL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	return nil
}
