#!/usr/bin/env bash
# Import benchmark: a release build writes an ml-25m-shaped synthetic release
# with `cinerank generate` (162,541 users, 62,423 movies, ~25M ratings), then
# imports it into a fresh SQLite file and a fresh PostgreSQL database,
# printing wall time and peak memory of each import (GNU time), then a second,
# idempotent run on SQLite, with the time at which each phase ended.
# Usage: scripts/import_bench.sh [sqlite|postgres|both] [RATINGS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${1:-both}"
RATINGS="${2:-25000095}"
PG_ADMIN="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
WORK="${IMPORT_BENCH_DIR:-$(mktemp -d)}"
PG_DB=""
cleanup() {
  [ -n "$PG_DB" ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  if [ -z "${IMPORT_BENCH_DIR:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

cargo build --release --quiet
BIN=target/release/cinerank
RELEASE="$WORK/release-$RATINGS"
if [ ! -f "$RELEASE/ratings.csv" ]; then
  echo "==> generating $RATINGS ratings into $RELEASE"
  /usr/bin/time -f "    generate: %e s, peak %M KiB" \
    "$BIN" generate --users 162541 --movies 62423 --ratings "$RATINGS" --seed 25 --out "$RELEASE"
fi
ls -l "$RELEASE"

measure() { # label, database url
  echo "==> import into $1"
  DATABASE_URL="$2" RUST_LOG=warn "$BIN" migrate >/dev/null
  # info: the importer logs when each phase ended; the 5-second progress
  # lines are left out.
  DATABASE_URL="$2" RUST_LOG=info,sqlx=warn /usr/bin/time -f "    $1: %e s wall, peak %M KiB" \
    "$BIN" import movielens "$RELEASE" 2>&1 | grep -v "^import: "
}

if [ "$BACKENDS" = sqlite ] || [ "$BACKENDS" = both ]; then
  rm -f "$WORK/bench.db"*
  measure sqlite "sqlite://$WORK/bench.db?mode=rwc"
  measure "sqlite (again: idempotent)" "sqlite://$WORK/bench.db?mode=rwc"
  ls -l "$WORK"/bench.db*
  rm -f "$WORK/bench.db"*
fi
if [ "$BACKENDS" = postgres ] || [ "$BACKENDS" = both ]; then
  PG_DB="cinerank_import_bench_$$"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
  measure postgres "${PG_ADMIN%/*}/$PG_DB"
fi
