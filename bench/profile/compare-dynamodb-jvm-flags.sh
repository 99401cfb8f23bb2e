#!/usr/bin/env bash
# Runs bench/profile/dynamodb-limits.ts against DynamoDB Local started with different JVM flags:
# the stack's quick-start flags (C1 only, serial GC, 256 MB) vs the JVM defaults with more heap.
# Usage: bench/profile/compare-dynamodb-jvm-flags.sh [items]
set -euo pipefail
items="${1:-6000}"
jar_dir="$(ls -d "$(dirname "$0")"/../../.cache/stack/dynamodb-* | head -1)"
port=$(( 20000 + RANDOM % 20000 ))
run_variant() {
  local name="$1"; shift
  java "$@" -Djava.library.path="$jar_dir" -cp "$jar_dir/*" \
    com.amazonaws.services.dynamodbv2.local.main.ServerRunner -inMemory -sharedDb -disableTelemetry -port "$port" \
    >"/tmp/dynamodb-flags-$name.log" 2>&1 &
  local pid=$!
  # Wait for the port to answer.
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port"; then break; fi
    sleep 0.2
  done
  echo "== $name ($*)"
  npx tsx "$(dirname "$0")/dynamodb-limits.ts" --items "$items" --endpoint "http://127.0.0.1:$port" --dynamodb-pid "$pid" \
    2>/dev/null | grep -v '^{'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
run_variant quick-start -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
run_variant c2-serial -Xmx512m -XX:+UseSerialGC
run_variant c2-parallel -Xmx512m -XX:+UseParallelGC
