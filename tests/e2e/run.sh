#!/usr/bin/env bash
# End-to-end test of the web pages: starts the debug binary on a free port
# with its own database, waits for /ready, creates an administrator, drives
# headless Chromium through run.mjs, and always stops the server and drops
# the database afterwards.
#
#   tests/e2e/run.sh sqlite|postgres
#
# Needs: target/debug/cinerank (`cargo build` or `cargo test` makes it),
# /usr/bin/chromium, and `npm ci` done in tests/e2e. For postgres,
# E2E_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# maintenance database on a server where we may create databases.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend="${1:-sqlite}"
bin="${CINERANK_BIN:-target/debug/cinerank}"
shots="${E2E_SCREENSHOTS:-target/e2e-screenshots}/$backend"
pg_admin_url="${E2E_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

[ -x "$bin" ] || { echo "no $bin: run cargo build first" >&2; exit 1; }
workdir="$(mktemp -d)"
server_pid=""
pg_db=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

case "$backend" in
  sqlite) database_url="sqlite://$workdir/e2e.db?mode=rwc" ;;
  postgres)
    pg_db="cinerank_e2e_$$"
    psql -q "$pg_admin_url" -c "CREATE DATABASE \"$pg_db\"" >/dev/null
    database_url="${pg_admin_url%/*}/$pg_db"
    ;;
  *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export DATABASE_URL="$database_url" HOST=127.0.0.1 PORT="$port" SEED_ON_START=true \
  SEED_DIR=seed_data AUTH_RATE_LIMIT_PER_MIN=0 WORKERS=2 RUST_LOG="${RUST_LOG:-warn}" \
  JWT_SECRET="e2e-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"

"$bin" serve >"$workdir/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"

started=$SECONDS
until curl -fsS "$base/ready" >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "cinerank exited during start-up:" >&2; cat "$workdir/server.log" >&2; exit 1
  fi
  if [ $((SECONDS - started)) -gt 300 ]; then
    echo "cinerank was not ready within 300 s" >&2; tail -n 50 "$workdir/server.log" >&2; exit 1
  fi
  sleep 1
done
echo "e2e ($backend): ready after $((SECONDS - started)) s on $base"

admin_password="e2e-admin-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$admin_password" | "$bin" create-admin --username e2e_admin --email e2e_admin@example.org >/dev/null

status=0
E2E_BASE_URL="$base" E2E_ADMIN_LOGIN=e2e_admin E2E_ADMIN_PASSWORD="$admin_password" \
  E2E_SCREENSHOTS="$shots" node tests/e2e/run.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$workdir/server.log" >&2
fi
exit "$status"
