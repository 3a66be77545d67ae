#!/usr/bin/env bash
# Side by side on this machine (issue 11, docs/PERFORMANCE.md "Against
# CometBFT"): a 4-validator CometBFT 1.0.1 kvstore testnet, then Sovereign's
# 4-validator devnet, each on loopback, each loaded by `sovereign bench` with
# the same shape (batches over all 4 RPC endpoints): the maximum rate, then
# 1,000 tx/s. Prints one line per run with final tx/s, submit→final p50/p99
# and the nodes' CPU. Runs of RUNS (default 1) alternate the two systems.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1}
MAX_TXS=${MAX_TXS:-30000}
RATE_TXS=${RATE_TXS:-15000}
cometbft=$(go env GOPATH)/bin/cometbft
[ -x "$cometbft" ] || go install github.com/cometbft/cometbft/cmd/cometbft@v1.0.1
bin=$(mktemp -d)/sovereign
go build -o "$bin" ./cmd/sovereign
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap cleanup EXIT

load() { # name urls metrics target [bench flags...]
  local name=$1 urls=$2 metrics=$3 target=$4; shift 4
  echo "$name max rate: $("$bin" bench --target "$target" --rpc "$urls" --metrics "$metrics" --accounts 2000 --txs "$MAX_TXS" --timeout 300s "$@" 2>&1 | tail -1)"
  echo "$name 1000 tx/s: $("$bin" bench --target "$target" --rpc "$urls" --metrics "$metrics" --accounts 2000 --txs "$RATE_TXS" --rate 1000 --batch 20 --timeout 300s "$@" 2>&1 | tail -1)"
}

cometbft_run() {
  local dir; dir=$(mktemp -d)
  "$cometbft" testnet --v 4 --o "$dir" --starting-ip-address 127.0.0.1 > /dev/null
  local urls="" metrics=""
  for i in 0 1 2 3; do
    local ip=127.0.0.$((i + 1)) cfg=$dir/node$i/config/config.toml
    # kvstore in process; each node on its own loopback address; the
    # mempool and its cache big enough for a run; 100 ms between blocks.
    sed -i -e 's|^proxy_app = .*|proxy_app = "kvstore"|' \
      -e "s|^laddr = \"tcp://127.0.0.1:26657\"|laddr = \"tcp://$ip:26657\"|" \
      -e "s|^laddr = \"tcp://0.0.0.0:26656\"|laddr = \"tcp://$ip:26656\"|" \
      -e 's|^size = 5000|size = 50000|' -e 's|^cache_size = 10000|cache_size = 200000|' \
      -e 's|^timeout_commit = .*|timeout_commit = "100ms"|' \
      -e 's|^prometheus = false|prometheus = true|' -e 's|^max_request_batch_size = .*|max_request_batch_size = 1000|' \
      -e "s|^prometheus_listen_addr = .*|prometheus_listen_addr = \"$ip:26660\"|" "$cfg"
    "$cometbft" start --home "$dir/node$i" --log_level error > "$dir/node$i.log" 2>&1 &
    pids+=($!)
    urls+="${urls:+,}http://$ip:26657"; metrics+="${metrics:+,}http://$ip:26660/metrics"
  done
  sleep 10
  load "CometBFT 1.0.1 kvstore" "$urls" "$metrics" cometbft
  cleanup
  rm -rf "$dir"
}

sovereign_run() {
  local dir; dir=$(mktemp -d)
  "$bin" devnet --dir "$dir" --rpc.addr 127.0.0.1:19000 --p2p.port 32000 --validators 4 > "$dir.out" 2>&1 &
  pids+=($!)
  sleep 12
  local urls=http://127.0.0.1:19000,http://127.0.0.1:19001,http://127.0.0.1:19002,http://127.0.0.1:19003
  local metrics=${urls//,/\/metrics,}/metrics
  "$bin" bench --rpc "$urls" --accounts 2000 --txs 1 --timeout 180s > /dev/null 2>&1 # fund the senders
  load "Sovereign devnet" "$urls" "$metrics" sovereign
  cleanup
  rm -rf "$dir" "$dir.out"
}

for _ in $(seq "$RUNS"); do
  cometbft_run
  sovereign_run
done
