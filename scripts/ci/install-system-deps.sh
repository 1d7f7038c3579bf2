#!/usr/bin/env bash
# Debian packages used by tests: docker-compose (validates docker-compose.yml; no engine needed),
# chromium + a font (headless browser test of the dashboard, test/e2e/dashboard.e2e-spec.ts).
# Installs only what is missing, so a warm machine pays nothing.
set -euo pipefail
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing ${need[*]}: run as root or install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
