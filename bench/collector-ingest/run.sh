#!/usr/bin/env bash
# Collector ingest benchmark: wrk POSTs new answers over loopback to a fresh database.
#   usage: bench/collector-ingest/run.sh [SECONDS] [CONNECTIONS] [SYNC]
#   defaults: 10 s, 32 connections, sync=full (every 202 is fsynced; group commit)
#   env: NPSKIT_BUILD_NATIVE (build-native); NPSKIT_COLLECTOR_ARGS (extra collector flags);
#        NPSKIT_BENCH_HOSTILE=1 also opens 500 hostile
#        sockets from 127.0.0.2 (bench/collector-ingest/hostile.cjs) before wrk starts
# Prints wrk's report with acknowledged requests/s and p50/p90/p99 latency, the CPU time the
# collector and wrk used meanwhile (on a shared machine, CPU per answer is the figure that does
# not move with the load), then checks that the database holds at least as many rows as were
# acknowledged.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}; connections=${2:-32}; sync=${3:-full}
bin=${NPSKIT_BUILD_NATIVE:-build-native}/npskit-collector
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench: $bin is missing (npm run build)" >&2; exit 1; }
dir=$(mktemp -d)
hostile=""
trap 'kill -TERM $pid $hostile 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
# shellcheck disable=SC2086  # NPSKIT_COLLECTOR_ARGS: extra flags, split on spaces
"$bin" --port 0 --db "$dir/bench.db" --rate 0 --quiet --sync "$sync" --threads $((connections + 16)) ${NPSKIT_COLLECTOR_ARGS:-} 2>"$dir/log" &
pid=$!
for _ in $(seq 1 100); do grep -q '"listening"' "$dir/log" && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$dir/log" | head -1)
if [ -n "${NPSKIT_BENCH_HOSTILE:-}" ]; then
  node bench/collector-ingest/hostile.cjs "$port" 500 & hostile=$!
  sleep 1
fi
threads=$(( connections < 2 ? connections : 2 ))
echo "collector on port $port (sync=$sync), wrk -t$threads -c$connections -d${seconds}s, $(nproc) cores shared by both"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime, all threads
before=$(cpu_ticks "$pid")
TIMEFORMAT='%U %S'
{ time wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/collector-ingest/post.lua "http://127.0.0.1:$port/" > "$dir/wrk.txt"; } 2> "$dir/wrk-cpu"
cat "$dir/wrk.txt"
used=$(( $(cpu_ticks "$pid") - before ))
read -r wrk_user wrk_sys < <(tail -1 "$dir/wrk-cpu")
acked_now=$(sed -n 's/^acknowledged: \([0-9]*\) of.*/\1/p' "$dir/wrk.txt")
awk -v t="$used" -v hz="$(getconf CLK_TCK)" -v n="${acked_now:-0}" -v wu="$wrk_user" -v ws="$wrk_sys" 'BEGIN {
  printf "cpu: collector %.2f s, wrk %.2f s, %.1f us of collector CPU per acknowledged answer\n", t / hz, wu + ws, n ? t / hz / n * 1e6 : 0 }'
[ -n "$hostile" ] && kill "$hostile" 2>/dev/null && sleep 0.5
rows=$(curl -s --max-time 15 "http://127.0.0.1:$port/healthz" | sed -n 's/.*"cursor":\([0-9]*\).*/\1/p' || true)
acked=$(sed -n 's/^acknowledged: \([0-9]*\) of.*/\1/p' "$dir/wrk.txt")
echo "rows in the database: $rows (acknowledged: $acked)"
[ -n "$rows" ] || { echo "bench: /healthz did not answer within 15 s; rows not checked" >&2; exit 0; }
[ "$rows" -ge "${acked:-0}" ] || { echo "bench: FEWER ROWS THAN ACKNOWLEDGED" >&2; exit 1; }
