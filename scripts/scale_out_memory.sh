#!/usr/bin/env bash
# Memory of each scale-out role on PostgreSQL, for the README's plan sizes:
# the worker's peak resident memory while it trains and publishes, a serving
# instance's (MODEL_TRAINING=off) resident memory once it has loaded the
# published model, and the snapshot's size. Runs on the seed data, or on a
# MovieLens-layout release folder imported first.
# With LATENCY_USERS=N it then times N uncached recommendation lists through
# the serving instance, one distinct user at a time (scripts/uncached_latency.py),
# and reports the serving instance's memory after them too.
# Usage: [LATENCY_USERS=300] scripts/scale_out_memory.sh [RELEASE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RELEASE="${1:-}"
PG_ADMIN="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PORT="${MEMORY_PORT:-18091}"
PG_DB="cinerank_memory_$$"
URL="${PG_ADMIN%/*}/$PG_DB"
WORK="$(mktemp -d)"
WORKER=""
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$WORKER" ] && kill "$WORKER" 2>/dev/null && wait "$WORKER" 2>/dev/null
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release --quiet
BIN=target/release/cinerank
psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
export DATABASE_URL="$URL" RUST_LOG=warn JWT_SECRET="memory-test-secret-that-is-long-enough-1"
if [ -n "$RELEASE" ]; then
  "$BIN" migrate >/dev/null
  /usr/bin/time -f "import took %e s, peak %M KiB" "$BIN" import movielens "$RELEASE" 2>&1 | tail -1
  DATA="$(basename "$RELEASE")"
else
  DATA="seed data"
fi

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
snapshots() { psql "$URL" -tAc "SELECT count(*) FROM model_snapshots"; }

# The worker: seeds an empty database, trains, publishes; then idles.
SEED_ON_START=true "$BIN" worker >"$WORK/worker.log" 2>&1 &
WORKER=$!
start=$(date +%s)
until [ "$(snapshots 2>/dev/null || echo 0)" -ge 1 ]; do
  kill -0 "$WORKER" 2>/dev/null || { cat "$WORK/worker.log" >&2; exit 1; }
  sleep 0.5
done
published=$(( $(date +%s) - start ))
worker_peak=$(peak_kib "$WORKER")
worker_idle=$(rss_kib "$WORKER")
size=$(psql "$URL" -tAc "SELECT size_bytes FROM model_snapshots ORDER BY id DESC LIMIT 1")

# A serving instance: loads the published model, never trains.
MODEL_TRAINING=off SEED_ON_START=false PORT="$PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
start=$(date +%s.%N)
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
ready=$(echo "$(date +%s.%N) - $start" | bc)
# A few requests so the caches hold something, as in service.
for id in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/api/v1/movies/$id" >/dev/null || true; done
server_rss=$(rss_kib "$SERVER")
server_peak=$(peak_kib "$SERVER")
trainings=$(curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^cinerank_model_trainings_total / {print $2}')

echo "| $DATA | worker peak $((worker_peak / 1024)) MiB (idle $((worker_idle / 1024)) MiB), published after ${published} s | serving $((server_rss / 1024)) MiB (peak $((server_peak / 1024)) MiB), ready in ${ready%???????} s, trainings $trainings | snapshot $((size / 1024 / 1024)) MiB ($size bytes) |"

if [ -n "${LATENCY_USERS:-}" ]; then
  printf 'latency probe password 1234\nlatency probe password 1234\n' |
    "$BIN" create-admin --username latency_admin --email latency@example.org >/dev/null
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"login":"latency_admin","password":"latency probe password 1234"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  python3 scripts/uncached_latency.py "http://127.0.0.1:$PORT" "$token" "$LATENCY_USERS"
  echo "serving after the probe: $(( $(rss_kib "$SERVER") / 1024 )) MiB (peak $(( $(peak_kib "$SERVER") / 1024 )) MiB)"
fi
