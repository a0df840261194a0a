#!/usr/bin/env bash
# Load test: a release build on SQLite and/or PostgreSQL, one wrk run per
# endpoint (list, detail, search, the signed-in profile, login, rate,
# recommend), a mixed run, and
# a trivial handler (/health) measured in the same session for scale.
# Each row follows a 2-second warm-up of the same traffic.
# Usage: scripts/loadtest.sh [sqlite|postgres|both] [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${1:-both}"
DURATION="${2:-10}"
CONNECTIONS="${3:-64}"
PORT="${LOADTEST_PORT:-18090}"
PG_ADMIN="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet
WORK="$(mktemp -d)"
SERVER=""
PG_DB=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$PG_DB" ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
  local url="$1"
  DATABASE_URL="$url" PORT="$PORT" RUST_LOG=warn AUTH_RATE_LIMIT_PER_MIN=0 \
    JWT_SECRET="load-test-secret-that-is-long-enough-1234" \
    MODEL_RETRAIN_AFTER_WRITES=0 ./target/release/cinerank serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 240); do
    curl -fs "$BASE/ready" >/dev/null 2>&1 && return
    sleep 0.5
  done
  echo "server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1
}

prepare_users() {
  : >"$WORK/tokens"; : >"$WORK/users"
  for i in $(seq 1 40); do
    local name="load_user_$i"
    curl -fs -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$name\",\"email\":\"$name@example.org\",\"password\":\"load test password\",\"preferred_genres\":[\"Drama\"]}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' >>"$WORK/tokens"
    echo "$name" >>"$WORK/users"
  done
  export TOKENS_FILE="$WORK/tokens" USERS_FILE="$WORK/users"
  MOVIES=$(curl -fs "$BASE/api/v1/movies?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_items"])')
  export MOVIES
}

# Prints: endpoint req/s p50 p99 ratio-to-trivial.
run() {
  local name="$1" target="$2" script="${3:-}"
  local args=(-t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  # Warm up first (caches, connections): the table reports the steady state.
  wrk "${args[@]}" -d2s "$target" >/dev/null
  wrk "${args[@]}" "$target" >"$WORK/wrk.txt"
  awk -v name="$name" -v trivial="${TRIVIAL_RPS:-0}" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    /Non-2xx/ {errors=$NF}
    END {
      ratio = trivial > 0 ? sprintf("%.3f", rps / trivial) : "1.000"
      printf "| %-28s | %9.0f | %-9s | %-9s | %s |%s\n", name, rps, p50, p99, ratio, (errors ? " non-2xx: " errors : "")
    }' "$WORK/wrk.txt"
}

measure_backend() {
  local backend="$1" url="$2"
  start_server "$url"
  prepare_users
  echo
  echo "### $backend: $MOVIES movies, wrk 1 thread, $CONNECTIONS connections, ${DURATION}s per row, $(nproc) cores"
  echo
  echo "| endpoint | req/s | p50 | p99 | × trivial |"
  echo "|---|---|---|---|---|"
  TRIVIAL_RPS=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$BASE/health" | awk '/Requests\/sec/ {print $2}')
  export TRIVIAL_RPS
  printf "| %-28s | %9.0f | %-9s | %-9s | %s |\n" "GET /health (trivial)" "$TRIVIAL_RPS" "-" "-" "1.000"
  run "GET /movies?genre&sort=rating" "$BASE" scripts/wrk/list.lua
  run "GET /movies/{id}" "$BASE" scripts/wrk/detail.lua
  run "GET /movies?q= (search)" "$BASE" scripts/wrk/search.lua
  run "GET /users/me (signed in)" "$BASE" scripts/wrk/me.lua
  run "POST /auth/login" "$BASE" scripts/wrk/login.lua
  run "PUT /movies/{id}/rating" "$BASE" scripts/wrk/rate.lua
  run "GET /users/me/recommendations" "$BASE" scripts/wrk/recommend.lua
  run "mixed (see mixed.lua)" "$BASE" scripts/wrk/mixed.lua
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

if [ "$BACKENDS" = sqlite ] || [ "$BACKENDS" = both ]; then
  measure_backend SQLite "sqlite://$WORK/load.db?mode=rwc"
fi
if [ "$BACKENDS" = postgres ] || [ "$BACKENDS" = both ]; then
  PG_DB="cinerank_load_$$"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
  measure_backend PostgreSQL "${PG_ADMIN%/*}/$PG_DB"
fi
