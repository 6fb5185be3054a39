#!/usr/bin/env bash
# Brings the whole platform up on this machine, no Docker engine needed: installs what the local
# platform runs (nothing of Kubernetes: `bootstrap.sh --platform`), starts Kafka, the MongoDB-wire
# database, Redis and Prometheus, then the apps in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --platform
npx --no-install tsx scripts/stack.ts up --apps
npx --no-install tsx scripts/stack.ts status
