#!/usr/bin/env bash
# Launch the hub's window; `pajamas` itself goes under xvfb-run when there is no display.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/pajamas "$@"
