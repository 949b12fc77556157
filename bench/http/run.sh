#!/usr/bin/env bash
# The HTTP benchmark recipe: a release `polyclear serve` on a fresh SQLite database with the
# sample union (36 banks, one API key each), then wrk on the same machine:
#   1. single-payment POSTs (target: 2,000 requests/s, p99 < 10 ms, no errors);
#   2. batches of 1,000 payments (target: 100,000 payments/s durably committed);
# then SIGTERM (clean shutdown) and `polyclear ledger check` on the database.
# Usage: bench/http/run.sh [seconds per run, default 20]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
swift build -c release --scratch-path .build-release --product polyclear >/dev/null
bin=.build-release/release/polyclear
dir="$(mktemp -d)"
port=18080
keys=(--api-key operator:ops:bench-operator-secret)
for country in AE BY BR CN EG ID IN KZ PK RU SA ZA; do
  for prefix in BKAA BKAB BKAC; do
    bic="$prefix${country}22"
    keys+=(--api-key "participant:$bic:bench-secret-$bic")
  done
done
# Each bank's rate limit (2,000 payments/s by default) would bind before the server does:
# 36 banks x 2,000 = 72,000/s, and refused batches (429) are not throughput.
POLYCLEAR_RATE_LIMIT_PER_SECOND=10000000 POLYCLEAR_RATE_LIMIT_BURST=10000000 \
  "$bin" serve --db "$dir/polyclear.sqlite" --port "$port" --sample-union "${keys[@]}" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
until curl -sf "localhost:$port/readyz" >/dev/null; do sleep 0.2; done
sleep 1  # the sample union's setup commit
echo "== single payments, 2 threads, 16 connections, ${seconds}s"
wrk -t2 -c16 -d"${seconds}s" -s bench/http/payments.lua "http://127.0.0.1:$port"
echo "== batches of 1,000 payments, 2 threads, 4 connections, ${seconds}s"
BATCH=1000 wrk -t2 -c4 -d"${seconds}s" --timeout 10s -s bench/http/payments.lua "http://127.0.0.1:$port"
curl -s -H "Authorization: Bearer bench-operator-secret" "localhost:$port/metrics" | grep -E '^polyclear_payment_status_changes' || true
kill -TERM $server; wait $server || true
echo "== ledger check"
"$bin" ledger check --db "$dir/polyclear.sqlite"
