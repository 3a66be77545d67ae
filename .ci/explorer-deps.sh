#!/usr/bin/env bash
# CI: what the explorer's browser tests need (go test ./explorer). Installs
# Debian's chromium if it is missing; the tests drive /usr/bin/chromium
# headless through chromedp (SOV_CHROMIUM names another binary) and skip
# with a message when there is none. Source it or run it before go test:
#   .ci/explorer-deps.sh && go test ./explorer
# SOV_SCREENSHOT_DIR=DIR keeps every page's screenshot (a CI artifact);
# SOV_UPDATE_SCREENSHOT=1 rewrites docs/explorer.png on purpose.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
/usr/bin/chromium --version
