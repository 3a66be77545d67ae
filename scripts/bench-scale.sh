#!/usr/bin/env bash
# Final tx/s and submit→final latency at 1, 4, 7 and 10 validators on this
# machine (docs/PERFORMANCE.md, "Multi-validator"). Builds the binary, runs
# each devnet on loopback, and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/sovereign
go build -o "$bin" ./cmd/sovereign
for N in ${VALIDATORS:-1 4 7 10}; do
  dir=$(mktemp -d)
  "$bin" devnet --dir "$dir" --rpc.addr 127.0.0.1:19000 --p2p.port 32000 --validators "$N" > "$dir.out" 2>&1 &
  dev=$!
  sleep $((8 + N))
  urls=$(for i in $(seq 0 $((N-1))); do printf "http://127.0.0.1:%d," $((19000+i)); done | sed 's/,$//')
  metrics=${urls//,/\/metrics,}/metrics # node CPU from every node's process metrics
  "$bin" bench --rpc "$urls" --accounts 2000 --txs 1 --timeout 180s > /dev/null 2>&1   # fund once
  echo "== $N validators, max rate";  "$bin" bench --rpc "$urls" --metrics "$metrics" --accounts 2000 --txs 30000 --timeout 180s 2>&1 | tail -1
  echo "== $N validators, 1000 tx/s"; "$bin" bench --rpc "$urls" --metrics "$metrics" --accounts 2000 --txs 10000 --rate 1000 --batch 20 --timeout 180s 2>&1 | tail -1
  echo "== $N validators, 100 tx/s";  "$bin" bench --rpc "$urls" --metrics "$metrics" --accounts 2000 --txs 1000 --rate 100 --batch 5 --timeout 180s 2>&1 | tail -1
  kill -INT "$dev"; wait "$dev" || true
  rm -rf "$dir" "$dir.out"
done
