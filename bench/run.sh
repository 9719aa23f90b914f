#!/usr/bin/env bash
# The read-path benchmark: Headline's Content API against a static-JSON actix-web ceiling, on
# SQLite and PostgreSQL, over synthetic newsrooms, with traffic shaped like a newsroom's: a
# random URL per request (bench/paths.lua) from workloads written from the data set
# (bench/workloads.py): any article of the archive, Zipf-popular recent stories, topic pages
# and their deeper pages, related boxes, searches, and a mix of them. Each workload runs with
# the response cache and without it; a scaling table runs the uncached ones at several
# HEADLINE_WORKERS counts.
#
#   bench/run.sh                 # 100k articles, both backends
#   bench/run.sh 10000 100000    # chosen sizes
#   BENCH_1M=1 bench/run.sh      # also 1M articles (generation takes a while)
#   BACKENDS=sqlite DURATION=5 CONNECTIONS=32 WORKER_STEPS="1 2 4" bench/run.sh
#   WARMUP=0 bench/run.sh        # no unmeasured run before each (default: DURATION)
#   PIN=1 WORKER_STEPS="1 2 4 8 16" THREADS=4 bench/run.sh   # scaling on a large machine
#   HEADLINE_BIN=… CEILING_BIN=… bench/run.sh   # prebuilt binaries, no cargo (another machine)
#
# The scaling table starts Headline with HEADLINE_WORKERS=N for each N of WORKER_STEPS. With
# PIN=1 it also gives Headline N cores (taskset; pool and blocking threads follow the cores it
# is given) and wrk the others, so that a step measures N cores, not N event loops over all of
# them; a step that leaves no core over runs both unpinned.
#
# Needs: cargo, curl, python3; installs wrk from Debian's packages and, for PostgreSQL, the
# server (started throwaway on 127.0.0.1). Data sets and workloads are cached in
# bench/results/data, and read into the OS cache before a size's runs when they fit in memory
# (see warm_cache). Prints one table per backend and size; ratios are to the ceiling measured
# in the same run, serving each workload's median body.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${*:-"100000"}
[ "${BENCH_1M:-0}" = 1 ] && SIZES="$SIZES 1000000"
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10}
# Each of Headline's runs follows an unmeasured one of the same traffic, as a server that has
# been up a while has seen it (its response cache and in-memory copies filled).
WARMUP=${WARMUP:-$DURATION}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WORKER_STEPS=${WORKER_STEPS:-"1 2"}
PIN=${PIN:-0}
SCALE_WORKLOADS=${SCALE_WORKLOADS:-"newest article_uniform related topic_pages mix"}
WORKLOADS="newest article_uniform article_zipf topic_pages related search mix revalidate"
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

if [ -n "${HEADLINE_BIN:-}" ] && [ -n "${CEILING_BIN:-}" ]; then
  HEADLINE=$HEADLINE_BIN CEILING=$CEILING_BIN
else
  # `synthetic`: the generator behind `seed --synthetic` (code the requests never run).
  cargo build --release --quiet --features synthetic --bin headline --example ceiling
  HEADLINE=target/release/headline CEILING=target/release/examples/ceiling
fi
CORES=$(nproc)
SERVER_CPUS="" WRK_CPUS=""

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

# wrk output → "rps p50_ms p99_ms bad". With PATHS set, each request is a random path of that
# file (under PREFIX): `measure http://host` runs a workload.
measure() {
  local url=$1; shift
  local script=()
  [ -n "${PATHS:-}" ] && script=(-s bench/paths.lua)
  ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" "$@" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx or 3xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %s\n", rps, p50, p99, (bad == "" ? 0 : bad) }'
}

json_field() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

start_headline() { # cache workers
  DATABASE_URL=$url HEADLINE_SEARCH_DIR=$search HEADLINE_DEMO=false HEADLINE_BIND=$HL_ADDR HEADLINE_CACHE=$1 \
    HEADLINE_WORKERS=$2 RUST_LOG=error ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$HEADLINE" serve &
  hl_pid=$!; PIDS+=("$hl_pid")
  wait_up "$HL_ADDR" healthz
}
stop() { kill "$@" 2>/dev/null || true; wait "$@" 2>/dev/null || true; }

# Reads a data set's files once, when they fit in the memory free with 2 GB to spare (the
# servers' own), so that every run starts from the same OS page cache, as a server that has
# been up a while has: at 1M articles the SQLite file is 16 GB, and right after a reboot
# random articles measured the disk (4,144-6,265 req/s, p99 318-424 ms; 17,948-19,688 and
# 5.7-9.3 ms once read).
warm_cache() { # files or directories
  local need avail
  need=$(du -scb "$@" 2>/dev/null | tail -n 1 | cut -f1)
  avail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))
  if [ "${need:-0}" -lt $((avail - (2 << 30))) ]; then
    find "$@" -type f -exec cat {} + >/dev/null 2>&1 || true
  else
    echo "(the data set's $((need >> 20)) MB do not fit in the OS cache: runs read from disk)"
  fi
}

# One workload against Headline (or, with PREFIX=/name, the ceiling): "rps p50 p99 bad".
run_workload() { # name addr
  local name=$1 addr=$2 extra=()
  case $name in
    newest) measure "http://$addr${PREFIX:+$PREFIX}/api/v1/articles" ;;
    revalidate) measure "http://$addr${PREFIX:+$PREFIX}/api/v1/articles" -H "If-None-Match: $etag" ;;
    *) PATHS="$wl/$name.paths" measure "http://$addr" ;;
  esac
}

# A workload against Headline after WARMUP seconds of it unmeasured.
warm_workload() { # name addr
  [ "$WARMUP" -gt 0 ] && DURATION=$WARMUP run_workload "$@" >/dev/null
  run_workload "$@"
}

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
    wl="$OUT/data/$backend-$size-workloads"
    search="$PWD/$OUT/data/$backend-$size-search"
    # A SQLite file deleted to save disk is generated again.
    if [ "$backend" = sqlite ] && [ ! -f "${url}" ]; then rm -f "$marker"; fi
    if [ ! -f "$marker" ]; then
      echo "generating $size articles on $backend…"
      rm -rf "$wl" "$search"
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

    start_headline true 0
    # A data set's first start builds its search index in the background (searches answer
    # 503 meanwhile): wait for it, so that no workload measures the build.
    for _ in $(seq 1 3600); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HL_ADDR/api/v1/articles?q=phone&limit=1")
      [ "$code" = 200 ] && break
      sleep 1
    done
    if [ ! -f "$wl/mix.paths" ]; then
      echo "writing workloads for $backend, $size articles…"
      mkdir -p "$wl"
      case $backend in
        sqlite) python3 - "$url" > "$wl/slugs.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
now = db.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')").fetchone()[0]
for (slug,) in db.execute("SELECT slug FROM articles WHERE status = 'published' AND published_at <= ? ORDER BY published_at DESC, id DESC", (now,)):
    print(slug)
PY
        ;;
        postgres) pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atq "headline_bench_$size" -c \
          "SELECT slug FROM articles WHERE status = 'published' AND published_at <= (now() AT TIME ZONE 'utc') ORDER BY published_at DESC, id DESC" > "$wl/slugs.txt" ;;
      esac
      python3 bench/workloads.py "http://$HL_ADDR" "$wl/slugs.txt" "$wl"
    fi
    curl -sf "http://$HL_ADDR/api/v1/articles" -o "$wl/newest.json"
    cp "$wl/newest.json" "$wl/revalidate.json"
    etag=$(curl -sf -D - -o /dev/null "http://$HL_ADDR/api/v1/articles" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
    stop "$hl_pid"
    case $backend in
      sqlite) warm_cache "$url" "$search" ;;
      postgres)
        oid=$(pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atq -c \
          "SELECT oid FROM pg_database WHERE datname = 'headline_bench_$size'")
        warm_cache "$PGDATA_DIR/base/$oid" "$search" ;;
    esac

    "$CEILING" "$CEIL_ADDR" "$wl" &
    ceil_pid=$!; PIDS+=("$ceil_pid")
    wait_up "$CEIL_ADDR" newest || true
    declare -A ceiling=()
    for name in $WORKLOADS; do
      read -r crps _ _ _ < <(PREFIX="/$name" run_workload "$name" "$CEIL_ADDR")
      ceiling[$name]=$crps
    done

    for cache in true false; do
      start_headline "$cache" 0
      echo
      echo "## $backend, $size articles, response cache $cache (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, a random path per request)"
      echo
      echo "| workload | median bytes | req/s | p50 ms | p99 ms | ceiling req/s | ratio |"
      echo "|---|---:|---:|---:|---:|---:|---:|"
      for name in $WORKLOADS; do
        read -r rps p50 p99 bad < <(warm_workload "$name" "$HL_ADDR")
        crps=${ceiling[$name]}
        ratio=$(awk -v a="$rps" -v b="$crps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        size_bytes=$(stat -c %s "$wl/$name.json"); [ "$name" = revalidate ] && size_bytes=0
        note=""; [ "$bad" != 0 ] && note=" ($bad non-2xx/3xx)"
        echo "| $name${note} | $size_bytes | $rps | $p50 | $p99 | $crps | $ratio |"
      done
      rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$hl_pid/status")
      echo
      echo "peak RSS of Headline: ${rss} MB"
      stop "$hl_pid"
    done

    echo
    pinned=""; [ "$PIN" = 1 ] && pinned=", Headline pinned to as many cores, wrk to the others"
    echo "### scaling without the cache: req/s by HEADLINE_WORKERS ($CORES cores$pinned)"
    echo
    echo "| workload | $(echo $WORKER_STEPS | sed 's/ / | /g') |"
    echo "|---|$(for _ in $WORKER_STEPS; do printf -- '---:|'; done)"
    declare -A scaled=()
    for workers in $WORKER_STEPS; do
      if [ "$PIN" = 1 ] && [ "$workers" -lt "$CORES" ]; then
        SERVER_CPUS="0-$((workers - 1))" WRK_CPUS="$workers-$((CORES - 1))"
      fi
      start_headline false "$workers"
      for name in $SCALE_WORKLOADS; do
        read -r rps _ _ _ < <(warm_workload "$name" "$HL_ADDR")
        scaled[$name-$workers]=$rps
      done
      stop "$hl_pid"
      SERVER_CPUS="" WRK_CPUS=""
    done
    for name in $SCALE_WORKLOADS; do
      row="| $name |"; for workers in $WORKER_STEPS; do row="$row ${scaled[$name-$workers]} |"; done
      echo "$row"
    done
    stop "$ceil_pid"
  done
done
