#!/usr/bin/env bash
# Verify real Flowise 3.1.4 with credkit (installs it on first use: ~3 GB, ~10 min).
# Not part of the default CI. PYTHON: the interpreter that has credkit installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-python3}" -m interop.flowise.run "$@"
