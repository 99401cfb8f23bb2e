#!/usr/bin/env bash
# `npm run test:contract`: schemathesis (pinned, from PyPI, in the project venv .cache/venv)
# against the mock APIs served alone on a free loopback port, bounded in examples and wall-clock
# time. Expected failures are listed, each with its reason, in schemathesis.toml next to this
# file; anything else fails the run. Prints `schemathesis: <n> cases, <f> failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/python-tool.sh
ensure_python_tool schemathesis 4.32.5 || exit 1

log=$(mktemp)
# One process (not npx tsx, whose child would outlive the kill below).
node --import tsx lambdas/mock-apis/serve.ts --port 0 --customers 300 --products 150 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^mock APIs listening on \(http[^ ]*\) .*/\1/p' "$log")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
[ -n "$url" ] || { echo "contract: the mock server did not start:" >&2; cat "$log" >&2; exit 1; }

out=$(mktemp)
timeout 300 "$venv/bin/schemathesis" --no-color --config-file lambdas/mock-apis/schemathesis.toml \
  run "$url/openapi.json" --max-examples 50 --seed 1 "$@" | tee "$out"
status=${PIPESTATUS[0]}
summary=$(grep -E '^ *[0-9]+ generated' "$out" | tail -n1)
rm -f "$out"
cases=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' <<<"$summary")
failed=$(sed -n 's/.* found \([0-9]*\) unique failure.*/\1/p' <<<"$summary")
echo "schemathesis: ${cases:-0} cases, ${failed:-0} failed (exit $status)"
exit "$status"
