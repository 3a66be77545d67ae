#!/usr/bin/env bash
# Installs what the faultnet tests need (package faultnet, docs/FAULTS.md):
# iproute2 (ip netns, ip link) and iptables. .ci/run calls this before
# `go test`; without root or these tools the faultnet tests skip.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "faultnet-deps: not root; the faultnet tests will skip" >&2
  exit 0
fi
missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
