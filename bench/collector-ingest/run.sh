#!/usr/bin/env bash
# Collector ingest benchmark: wrk POSTs new answers over loopback to a fresh database.
#   usage: bench/collector-ingest/run.sh [SECONDS] [CONNECTIONS] [SYNC]
#   defaults: 10 s, 32 connections, sync=full (every 202 is fsynced; group commit)
#   env: NPSKIT_BUILD_NATIVE (build-native)
# Prints wrk's report with acknowledged requests/s and p50/p90/p99 latency, then checks that
# the database holds at least as many rows as were acknowledged.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}; connections=${2:-32}; sync=${3:-full}
bin=${NPSKIT_BUILD_NATIVE:-build-native}/npskit-collector
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench: $bin is missing (npm run build)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" --port 0 --db "$dir/bench.db" --rate 0 --quiet --sync "$sync" --threads $((connections + 16)) 2>"$dir/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '"listening"' "$dir/log" && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$dir/log" | head -1)
threads=$(( connections < 2 ? connections : 2 ))
echo "collector on port $port (sync=$sync), wrk -t$threads -c$connections -d${seconds}s, $(nproc) cores shared by both"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/collector-ingest/post.lua "http://127.0.0.1:$port/" | tee "$dir/wrk.txt"
rows=$(curl -s "http://127.0.0.1:$port/healthz" | sed -n 's/.*"cursor":\([0-9]*\).*/\1/p')
acked=$(sed -n 's/^acknowledged: \([0-9]*\) of.*/\1/p' "$dir/wrk.txt")
echo "rows in the database: $rows (acknowledged: $acked)"
[ "$rows" -ge "$acked" ] || { echo "bench: FEWER ROWS THAN ACKNOWLEDGED" >&2; exit 1; }
