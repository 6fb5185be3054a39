#!/usr/bin/env bash
# The full test suite on a fresh machine: installs what is missing, then runs `npm test`
# (type check, unit tests, integration tests against real servers it starts on free ports).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm test --silent -- "$@"
