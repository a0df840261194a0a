#!/usr/bin/env bash
# Catalogue throughput and latency with wrk against a release build on the
# seeded SQLite database, next to a trivial handler (/health) measured in the
# same run. Usage: scripts/bench_catalog.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNECTIONS="${2:-64}"
PORT="${BENCH_PORT:-18080}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet

WORK="$(mktemp -d)"
DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db?mode=rwc}" \
  PORT="$PORT" RUST_LOG=warn ./target/release/cinerank serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  curl -fs "$BASE/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
MOVIES=$(curl -fs "$BASE/api/v1/movies?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_items"])')
export MOVIES

# One line per endpoint: name, requests/s, p50, p99.
measure() {
  local name="$1" url="$2" script="${3:-}"
  local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" -d2s "$url" >/dev/null  # warm-up
  wrk "${args[@]}" "$url" | awk -v name="$name" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    /Non-2xx/ {errors=$NF}
    END {printf "%-34s %10.0f req/s   p50 %-9s p99 %-9s %s\n", name, rps, p50, p99, (errors ? "NON-2XX: " errors : "")}'
}

echo "wrk: 1 thread, $CONNECTIONS connections, ${DURATION}s per endpoint; $MOVIES movies; $(nproc) cores"
measure "GET /health (trivial handler)" "$BASE/health"
measure "GET /api/v1/movies/{id}" "$BASE" scripts/wrk/random_movie.lua
measure "GET /api/v1/movies?genre=&sort=rating" "$BASE" scripts/wrk/genre_by_rating.lua
measure "GET /api/v1/movies (default list)" "$BASE/api/v1/movies"
