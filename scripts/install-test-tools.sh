#!/usr/bin/env bash
# What only the test suite needs beyond scripts/install.sh: Debian's chromium, which playwright drives for the
# report-safety check (playwright never downloads a browser of its own here). Without apt or root the check is
# skipped and says why. Idempotent.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
      >/dev/null || echo "warning: could not install chromium; the headless report check will be skipped"
  else
    echo "note: the headless report check needs Debian's chromium (apt-get install chromium); it will be skipped"
  fi
fi
