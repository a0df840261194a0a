#!/usr/bin/env python3
"""Uncached recommendation latency through the HTTP API, one request at a time.

Asks a running server for the recommendations of USERS distinct users it has
not answered before (so every answer folds the user in and ranks afresh),
over one keep-alive connection, and prints p50/p95/p99/max of the wall time
per request as the client sees it.

Usage: scripts/uncached_latency.py BASE_URL ADMIN_TOKEN [USERS] [FIRST_USER_ID]
(`scripts/scale_out_memory.sh` calls it with LATENCY_USERS set.)
"""

import http.client
import sys
import time
from urllib.parse import urlparse


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main():
    base, token = sys.argv[1], sys.argv[2]
    users = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    times_ms = []
    slowest = []
    failures = 0
    for user_id in range(first, first + users):
        start = time.perf_counter()
        conn.request("GET", f"/api/v1/users/{user_id}/recommendations?limit=10", headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status == 200:
            times_ms.append(elapsed)
            slowest.append((elapsed, user_id))
        else:
            failures += 1
    if not times_ms:
        print(f"uncached recommendations: every request failed ({failures})")
        sys.exit(1)
    times_ms.sort()
    print(
        f"uncached recommendations, {len(times_ms)} distinct users, one at a time: "
        f"p50 {percentile(times_ms, 50):.1f} ms, p95 {percentile(times_ms, 95):.1f} ms, "
        f"p99 {percentile(times_ms, 99):.1f} ms, max {times_ms[-1]:.1f} ms"
        + (f" ({failures} failed)" if failures else "")
    )
    slowest.sort(reverse=True)
    print("slowest: " + ", ".join(f"user {u} {t:.1f} ms" for t, u in slowest[:5]))


if __name__ == "__main__":
    main()
