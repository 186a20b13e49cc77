#!/usr/bin/env bash
# Runs a local FlashRaft cluster: three server processes on loopback, configured by
# conf/node1.yaml .. conf/node3.yaml, each with its data under run/data/nN, its log in
# run/logs/nN.log and its pid in run/pids/nN.pid.
#
#   scripts/cluster.sh start     build if needed, start every node, wait for every group's leader, show status,
#                                then a round trip through the CLI (bin/flashraft put, operate, get, status)
#   scripts/cluster.sh stop      SIGTERM each node in turn (it hands off leadership, checkpoints, exits 0)
#   scripts/cluster.sh status    each node's view of its groups (from its metrics port, /status)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/server/target/flashraft.jar"
run="$root/run"
nodes=(1 2 3)
: "${FLASHRAFT_JAVA_OPTS:=-Xms256m -Xmx768m -XX:MaxDirectMemorySize=512m -XX:+UseG1GC}"

die() { echo "cluster.sh: $*" >&2; exit 1; }
command -v java >/dev/null || die "java is not installed"
if ! command -v curl >/dev/null; then
  # curl reads each node's /status; install it where we can, as a fresh machine may lack it.
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing curl"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null || die "could not install curl"
  else
    die "curl is not installed (needed to read each node's /status)"
  fi
fi

metrics_port() { sed -n "s/.*id: n$1,.*metrics-port: \([0-9]*\).*/\1/p" "$root/conf/node$1.yaml" | head -1; }
pid_of() { local f="$run/pids/n$1.pid"; [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }
node_status() { curl -sf --max-time 2 "http://127.0.0.1:$(metrics_port "$1")/status"; }

build_if_needed() {
  local newest
  newest=$(find "$root" \( -path "$root/run" -o -name target -o -name .git \) -prune \
    -o \( -name '*.java' -o -name pom.xml \) -newer "$jar" -print -quit 2>/dev/null || true)
  if [[ ! -f $jar || -n $newest ]]; then
    echo "== building the server (mvn package -DskipTests; the first build downloads dependencies)"
    (cd "$root" && mvn -B -ntp package -DskipTests -pl server -am | grep --line-buffered -E "Building FlashRaft|BUILD|ERROR")
  fi
}

# Every node answers /status and names a leader for each of its groups.
all_led() {
  local n out
  for n in "${nodes[@]}"; do
    out=$(node_status "$n") || return 1
    awk 'NR > 2 && $3 == "-" { missing = 1 } END { exit missing }' <<<"$out" || return 1
  done
}

start() {
  build_if_needed
  mkdir -p "$run/logs" "$run/pids"
  local n pid waited=0
  for n in "${nodes[@]}"; do
    if pid=$(pid_of "$n"); then
      echo "n$n already running (pid $pid)"
      continue
    fi
    # shellcheck disable=SC2086
    nohup java $FLASHRAFT_JAVA_OPTS -jar "$jar" server --config "$root/conf/node$n.yaml" \
      >>"$run/logs/n$n.log" 2>&1 &
    echo $! >"$run/pids/n$n.pid"
    echo "started n$n (pid $!, log run/logs/n$n.log)"
  done
  printf "waiting for a leader in every partition group"
  until all_led; do
    for n in "${nodes[@]}"; do
      pid_of "$n" >/dev/null || { echo; tail -20 "$run/logs/n$n.log" >&2; die "n$n exited during start (log above)"; }
    done
    (( waited++ < 180 )) || { echo; die "no leader for every group after 180 s; see run/logs"; }
    printf "."
    sleep 1
  done
  echo " ready after ${waited} s"
  status
  round_trip
}

# Shows the cluster working end to end, the way a user reaches it: the CLI, through a gateway.
round_trip() {
  local cli="$root/bin/flashraft"
  echo "== a round trip through the CLI"
  echo "\$ bin/flashraft put test demo hello greeting='hello from FlashRaft' visits=0"
  "$cli" put test demo hello greeting='hello from FlashRaft' visits=0
  echo "\$ bin/flashraft operate test demo hello add:visits=1 read:visits"
  "$cli" operate test demo hello add:visits=1 read:visits
  echo "\$ bin/flashraft get test demo hello"
  "$cli" get test demo hello
  echo "\$ bin/flashraft status"
  "$cli" status
}

# One node at a time: each hands its groups to nodes still running, then exits.
stop() {
  local n pid waited
  for n in "${nodes[@]}"; do
    pid=$(pid_of "$n") || continue
    kill -TERM "$pid"
    printf "n%s: SIGTERM sent (pid %s), waiting for it to hand off and exit" "$n" "$pid"
    waited=0
    while pid_of "$n" >/dev/null; do
      (( waited++ < 120 )) || { echo; die "n$n (pid $pid) still running 120 s after SIGTERM"; }
      printf "."
      sleep 1
    done
    rm -f "$run/pids/n$n.pid"
    echo " stopped"
  done
}

status() {
  local n pid
  for n in "${nodes[@]}"; do
    if pid=$(pid_of "$n"); then
      echo "--- n$n (pid $pid)"
      node_status "$n" || echo "(not answering on its metrics port yet)"
    else
      echo "--- n$n: not running"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: scripts/cluster.sh start|stop|status" ;;
esac
