#!/usr/bin/env bash
# Fuzzing: Schemathesis generates requests from the served OpenAPI document
# and sends them, with a signed-in user's bearer token, to the debug build on
# SQLite and/or PostgreSQL (the hand-written fixture catalogue, a database of
# its own each time). A run fails on any 5xx (`not_a_server_error`) and on
# any status the document does not list for the operation
# (`status_code_conformance`). Schemathesis (PyPI) is installed into a venv
# under target/, so nothing outside the repository is touched.
#
# Usage: scripts/fuzz.sh [sqlite|postgres|both] [SECONDS_PER_DATABASE]
#   SECONDS_PER_DATABASE (default 600) is Schemathesis' --max-time; CI runs a
#   bounded pass (.ci/run). FUZZ_SEED fixes the generator's seed.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${1:-both}"
MAX_TIME="${2:-600}"
PORT="${FUZZ_PORT:-18091}"
PG_ADMIN="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BASE="http://127.0.0.1:$PORT"
VENV="target/fuzz-venv"
SCHEMATHESIS_VERSION="4.32.5"

if [ ! -x "$VENV/bin/schemathesis" ] \
  || [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --quiet --bin cinerank

WORK="$(mktemp -d)"
SERVER=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
  local url="$1"
  DATABASE_URL="$url" PORT="$PORT" RUST_LOG="${FUZZ_LOG:-info}" AUTH_RATE_LIMIT_PER_MIN=0 \
    JWT_SECRET="fuzzing-secret-that-is-long-enough-0123456789" \
    SEED_ON_START=true SEED_DIR=tests/fixtures/catalog IMPORT_DIR="$WORK/imports" \
    ./target/debug/cinerank serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 240); do
    if ! kill -0 "$SERVER" 2>/dev/null; then
      echo "the server exited during start-up:" >&2
      cat "$WORK/server.log" >&2
      exit 1
    fi
    curl -fs "$BASE/ready" >/dev/null 2>&1 && return
    sleep 0.5
  done
  echo "server did not become ready" >&2
  cat "$WORK/server.log" >&2
  exit 1
}

stop_server() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}

sign_in() {
  curl -fs -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"username":"fuzzer","email":"fuzzer@example.org","password":"fuzzing password","preferred_genres":["Drama"]}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

fuzz_backend() {
  local backend="$1" url="$2"
  start_server "$url"
  local token
  token="$(sign_in)"
  echo
  echo "==> Schemathesis on $backend, ${MAX_TIME}s"
  local seed=()
  [ -n "${FUZZ_SEED:-}" ] && seed=(--seed "$FUZZ_SEED")
  local status=0
  # Signing out everywhere would end the fuzzer's own session and leave
  # nothing but 401s to test; it has its own tests.
  "$VENV/bin/schemathesis" run "$BASE/api-docs/openapi.json" \
    --checks not_a_server_error,status_code_conformance \
    --header "Authorization: Bearer $token" \
    --exclude-path /api/v1/auth/logout-all \
    --max-time "$MAX_TIME" \
    --workers 2 \
    --request-timeout 30 \
    --wait-for-schema 30 \
    --warnings off \
    "${seed[@]}" || status=$?
  if grep -q "panicked" "$WORK/server.log"; then
    echo "the server panicked on $backend:" >&2
    grep -A5 "panicked" "$WORK/server.log" >&2
    status=1
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    local code=0
    wait "$SERVER" || code=$?
    echo "the server on $backend exited with status $code; its log ends:" >&2
    tail -20 "$WORK/server.log" >&2
    SERVER=""
    status=1
  fi
  stop_server
  return "$status"
}

failed=0
if [ "$BACKENDS" = sqlite ] || [ "$BACKENDS" = both ]; then
  fuzz_backend sqlite "sqlite://$WORK/fuzz.db?mode=rwc" || failed=1
fi
if [ "$BACKENDS" = postgres ] || [ "$BACKENDS" = both ]; then
  PG_DB="cinerank_fuzz_$$"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
  fuzz_backend postgres "${PG_ADMIN%/*}/$PG_DB" || failed=1
fi
exit "$failed"
