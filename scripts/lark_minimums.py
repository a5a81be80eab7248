"""The shortest time Lark's frequency limits allow for a sync's requests (used by bench.sh).

Lark limits each API per app and tenant to 50 requests per second and 1000 per minute (the
installed-apps list: 100 per minute); either limit trips a 429. Its docs do not say whether the
windows are fixed or sliding, nor where fixed ones start (docs/benchmarks.md § Lark's window
model), so two minimums are reported for the busiest API, from its request count N:

- fixed:   max(ceil(N/50) - 1, 60 * (ceil(N/1000) - 1)) s, the bound used since the first
  benchmark: N requests need ceil(N/50) one-second windows, and the last of ceil(N/1000)
  one-minute windows starts 60 * (ceil(N/1000) - 1) s after the first. Only a client that knew
  where Lark's windows start could come close to it.
- sliding: the time of the last request when each is sent as early as every rolling 1 s and
  60 s window allows — the minimum for any client that never meets a 429 without knowing
  where Lark's windows start (keeping every fixed window of every phase within its quota is
  keeping every rolling window within it).

Usage: python3 lark_minimums.py STATS_JSON  (the simulator's /_simulator/stats) prints
"API N FIXED SLIDING" for the busiest API; as a module, minimums(stats) returns the same.
"""

import json
import math
import sys

PER_SECOND = 50


def per_minute(api):
    return 100 if api.endswith("/application/v6/applications") else 1000


def fixed_minimum(n, minute_quota):
    return max(math.ceil(n / PER_SECOND) - 1, 60 * (math.ceil(n / minute_quota) - 1))


def sliding_minimum(n, minute_quota):
    times = []
    for i in range(n):
        t = times[-1] if times else 0.0
        if i >= PER_SECOND:
            t = max(t, times[i - PER_SECOND] + 1.0)
        if i >= minute_quota:
            t = max(t, times[i - minute_quota] + 60.0)
        times.append(t)
    return times[-1] if times else 0.0


def minimums(stats):
    """(api, n, fixed, sliding) of the API whose requests need the longest, tokens left out
    (("none", 0, 0, 0.0) when no other API was called)."""
    best = ("none", 0, 0, 0.0)
    for api, n in stats["requests_by_endpoint"].items():
        if "token" in api:
            continue
        quota = per_minute(api)
        row = (api, n, fixed_minimum(n, quota), sliding_minimum(n, quota))
        if row[3] > best[3] or (row[3] == best[3] and row[1] > best[1]):
            best = row
    return best


if __name__ == "__main__":
    api, n, fixed, sliding = minimums(json.load(open(sys.argv[1])))
    print(api, n, fixed, f"{sliding:.2f}")
