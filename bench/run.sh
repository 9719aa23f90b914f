#!/usr/bin/env bash
# The read-path benchmark: Headline's Content API against a static-JSON actix-web ceiling, on
# SQLite and PostgreSQL, over synthetic newsrooms of several sizes.
#
#   bench/run.sh                 # 10k and 100k articles, both backends
#   bench/run.sh 10000           # chosen sizes
#   BENCH_1M=1 bench/run.sh      # also 1M articles (generation takes several minutes)
#   BACKENDS=sqlite DURATION=5 CONNECTIONS=32 bench/run.sh
#   CACHE=false bench/run.sh     # without the response cache: every request queries the database
#
# Needs: cargo, curl, python3; installs wrk from Debian's packages and, for PostgreSQL, the
# server (started throwaway on 127.0.0.1). Data sets are cached in bench/results/data.
# Prints one table per backend and size; ratios are to the ceiling measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${*:-"10000 100000"}
[ "${BENCH_1M:-0}" = 1 ] && SIZES="$SIZES 1000000"
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
OUT=bench/results
HL_ADDR=127.0.0.1:18180
CEIL_ADDR=127.0.0.1:18181
PG_PORT=${PG_PORT:-55433}
mkdir -p "$OUT/data"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null || need+=(wrk)
if [[ " $BACKENDS " == *" postgres "* ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --quiet --bin headline --example ceiling
HEADLINE=target/release/headline
CEILING=target/release/examples/ceiling

PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  if [ -n "${PGDATA_DIR:-}" ]; then
    pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PGDATA_DIR="$PWD/$OUT/data/pg"
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
    pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$PGDATA_DIR"
  pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PGDATA_DIR -c shared_buffers=256MB -c synchronous_commit=off" start >/dev/null
}

wait_up() {
  for _ in $(seq 1 100); do curl -sf "http://$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  curl -sf "http://$1/$2" >/dev/null 2>&1 && return 0
  echo "server on $1 did not start" >&2; return 1
}

# wrk output → "rps p50_ms p99_ms"
measure() {
  local url=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx or 3xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %s\n", rps, p50, p99, (bad == "" ? 0 : bad) }'
}

json_field() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

for backend in $BACKENDS; do
  [ "$backend" = postgres ] && [ -z "${PGDATA_DIR:-}" ] && start_postgres
  for size in $SIZES; do
    case $backend in
      sqlite) url="$PWD/$OUT/data/sqlite-$size.db" ;;
      postgres)
        url="postgres://postgres@127.0.0.1:$PG_PORT/headline_bench_$size"
        pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "headline_bench_$size" 2>/dev/null || true ;;
    esac
    marker="$OUT/data/$backend-$size.done"
    # A SQLite file deleted to save disk is generated again.
    if [ "$backend" = sqlite ] && [ ! -f "${url}" ]; then rm -f "$marker"; fi
    if [ ! -f "$marker" ]; then
      echo "generating $size articles on $backend…"
      # Start from empty: an interrupted generation leaves a partial data set.
      case $backend in
        sqlite) rm -f "$url" "$url-wal" "$url-shm" ;;
        postgres)
          pg "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres --if-exists "headline_bench_$size"
          pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "headline_bench_$size" ;;
      esac
      DATABASE_URL=$url HEADLINE_DEMO=false RUST_LOG=warn "$HEADLINE" seed --synthetic --articles "$size" --seed 42
      touch "$marker"
    fi

    DATABASE_URL=$url HEADLINE_DEMO=false HEADLINE_BIND=$HL_ADDR HEADLINE_CACHE=${CACHE:-true} RUST_LOG=error "$HEADLINE" serve &
    hl_pid=$!; PIDS+=("$hl_pid")
    wait_up "$HL_ADDR" healthz

    newest=$(curl -sf "http://$HL_ADDR/api/v1/articles?limit=1&fields=slug" | json_field 'd["data"][0]["slug"]')
    small=$(curl -sf "http://$HL_ADDR/api/v1/topics?limit=100" | json_field 'min(d["data"], key=lambda t: t["article_count"] if t["article_count"] > 0 else 10**9)["slug"]')
    declare -A paths=(
      [newest]="/api/v1/articles"
      [topic_big]="/api/v1/articles?topic=xiaomi"
      [topic_small]="/api/v1/articles?topic=$small"
      [article]="/api/v1/articles/$newest"
      [related]="/api/v1/articles/$newest/related"
      [search]="/api/v1/articles?q=camera+battery"
      [topics]="/api/v1/topics"
      [revalidate]="/api/v1/articles"
    )
    order="newest topic_big topic_small article related search topics revalidate"
    bodies="$OUT/bodies-$backend-$size"; rm -rf "$bodies"; mkdir -p "$bodies"
    for name in $order; do curl -sf "http://$HL_ADDR${paths[$name]}" -o "$bodies/$name.json"; done
    etag=$(curl -sf -D - -o /dev/null "http://$HL_ADDR/api/v1/articles" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')

    "$CEILING" "$CEIL_ADDR" "$bodies" &
    ceil_pid=$!; PIDS+=("$ceil_pid")
    wait_up "$CEIL_ADDR" newest || true

    echo
    echo "## $backend, $size articles, response cache ${CACHE:-true} (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s)"
    echo
    echo "| endpoint | bytes | req/s | p50 ms | p99 ms | ceiling req/s | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for name in $order; do
      extra=()
      [ "$name" = revalidate ] && extra=(-H "If-None-Match: $etag")
      read -r rps p50 p99 bad < <(measure "http://$HL_ADDR${paths[$name]}" "${extra[@]}")
      read -r crps _ _ _ < <(measure "http://$CEIL_ADDR/$name" "${extra[@]}")
      ratio=$(awk -v a="$rps" -v b="$crps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
      size_bytes=$(stat -c %s "$bodies/$name.json")
      [ "$name" = revalidate ] && size_bytes=0
      note=""; [ "$bad" != 0 ] && note=" ($bad non-2xx/3xx)"
      echo "| $name${note} | $size_bytes | $rps | $p50 | $p99 | $crps | $ratio |"
    done
    rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$hl_pid/status")
    echo
    echo "peak RSS of Headline: ${rss} MB"
    kill "$hl_pid" "$ceil_pid" 2>/dev/null || true
    wait "$hl_pid" "$ceil_pid" 2>/dev/null || true
  done
done
