#!/usr/bin/env bash
# The write path with and without webhooks: admins creating topics as fast as they can (each a
# public change that webhooks subscribed to "*" receive), with 0 and then 2 active webhooks
# whose receiver answers at once (the ceiling's POST /hook). Reports writes/s, latency, and
# whether every delivery arrived. Issue 11's target: with two webhooks, within 20 % of the
# throughput without.
#
#   bench/writes.sh                       # SQLite and PostgreSQL
#   BACKENDS=sqlite DURATION=10 CONNECTIONS=8 bench/writes.sh
#   HEADLINE_BIN=… CEILING_BIN=… bench/writes.sh   # prebuilt binaries
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
HL_ADDR=127.0.0.1:18190
RECEIVER=127.0.0.1:18191
PG_PORT=${PG_PORT:-55434}
EMAIL=bench@headline.test
PASSWORD=bench-password-long-enough

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null || need+=(wrk)
if [[ " $BACKENDS " == *" postgres "* ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -n "${HEADLINE_BIN:-}" ] && [ -n "${CEILING_BIN:-}" ]; then
  HEADLINE=$HEADLINE_BIN CEILING=$CEILING_BIN
else
  cargo build --release --quiet --bin headline --example ceiling
  HEADLINE=target/release/headline CEILING=target/release/examples/ceiling
fi

WORK=$(mktemp -d /tmp/headline-writes.XXXXXX)
chmod 755 "$WORK"  # the PostgreSQL server runs as its own user
PIDS=()
pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  if [ -n "${PGDATA_DIR:-}" ]; then pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/bodies"
"$CEILING" "$RECEIVER" "$WORK/bodies" & PIDS+=($!)

if [[ " $BACKENDS " == *" postgres "* ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PGDATA_DIR="$WORK/pg"; mkdir -p "$PGDATA_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
  pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PGDATA_DIR -c synchronous_commit=off" start >/dev/null
fi

api() { # method path [body]
  curl -sf -X "$1" "http://$HL_ADDR$2" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

run() { # backend webhooks → "writes/s p50 p99 non2xx delivered/expected drain_s"
  local backend=$1 hooks=$2 url
  case $backend in
    sqlite) url="$WORK/$backend-$hooks.db" ;;
    postgres)
      pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "w$hooks"
      url="postgres://postgres@127.0.0.1:$PG_PORT/w$hooks" ;;
  esac
  DATABASE_URL=$url HEADLINE_SEARCH_DIR="$WORK/search-$backend-$hooks" HEADLINE_DEMO=false \
    HEADLINE_BIND=$HL_ADDR HEADLINE_ADMIN_EMAIL=$EMAIL HEADLINE_ADMIN_PASSWORD=$PASSWORD \
    HEADLINE_WEBHOOK_ALLOW_PRIVATE=true RUST_LOG=error "$HEADLINE" serve & local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do curl -sf "http://$HL_ADDR/readyz" >/dev/null && break; sleep 0.1; done
  TOKEN=$(curl -sf "http://$HL_ADDR/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json 'd["access_token"]')
  export TOKEN
  local ids=()
  for i in $(seq 1 "$hooks"); do
    ids+=("$(api POST /api/v1/admin/webhooks "{\"url\":\"http://$RECEIVER/hook\",\"events\":[\"*\"]}" | json 'd["data"]["id"]')")
  done
  local line
  line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/writes.lua "http://$HL_ADDR" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /requests in/ { total = $1 } /Non-2xx or 3xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %s %d\n", rps, p50, p99, (bad == "" ? 0 : bad), total }')
  # Every created topic is one delivery per webhook: wait until all have been delivered.
  local total expected delivered=0 started=$SECONDS
  total=$(echo "$line" | awk '{print $5 - $4}')
  expected=$((total * hooks))
  while [ "$hooks" -gt 0 ]; do
    delivered=0
    for id in "${ids[@]}"; do
      for state in pending failed; do
        n=$(api GET "/api/v1/admin/webhooks/$id/deliveries?state=$state&limit=1" | json 'len(d["data"])')
        [ "$n" = 0 ] || delivered=-1
      done
    done
    # Nothing pending and nothing failed: every change reached the receiver.
    [ "$delivered" = 0 ] && { delivered=$expected; break; }
    [ $((SECONDS - started)) -gt 120 ] && { delivered="still pending"; break; }
    sleep 0.5
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(echo "$line" | awk '{print $1, $2, $3, $4}') $delivered/$expected $((SECONDS - started))"
}

echo "| backend | webhooks | writes/s | p50 ms | p99 ms | non-2xx | delivered | drained in s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for backend in $BACKENDS; do
  for hooks in 0 2; do
    read -r rps p50 p99 bad delivered drain <<<"$(run "$backend" "$hooks")"
    echo "| $backend | $hooks | $rps | $p50 | $p99 | $bad | $delivered | $drain |"
  done
done
