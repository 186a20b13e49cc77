#!/usr/bin/env bash
# Runs a local FlashRaft cluster: 3 or 5 server processes on loopback. Each node n has its config
# in $FLASHRAFT_RUN/conf/nN.yaml (written by `configure`), its data under data/nN, its log in
# logs/nN.log and its pid in pids/nN.pid ($FLASHRAFT_RUN defaults to run/ in the checkout).
#
#   scripts/cluster.sh start [--nodes 3|5]  build if needed, write the configs the first time,
#                                            start every node that is not running, wait for every
#                                            group's leader, show status, then a round trip
#                                            through the CLI (bin/flashraft put, operate, get, status)
#   scripts/cluster.sh stop                 SIGTERM each node in turn (it hands off leadership,
#                                            checkpoints, exits 0)
#   scripts/cluster.sh status               each node's view of its groups (its metrics port, /status)
#   scripts/cluster.sh configure [--nodes N] write the node configs (N = 3 or 5) and nothing else
#   scripts/cluster.sh kill NODE            SIGKILL node NODE (1..N): a crash
#   scripts/cluster.sh pause NODE           SIGSTOP it (it keeps its sockets but answers nothing)
#   scripts/cluster.sh resume NODE          SIGCONT it
#   scripts/cluster.sh restart NODE         stop it (SIGTERM, or nothing if it is down), start it,
#                                            wait until it answers and every group it hosts has a leader
#   scripts/cluster.sh wipe NODE            delete a stopped node's data: it rejoins empty and is
#                                            rebuilt from the leaders when started again
#
# Ports: node n listens on raft port BASE+n, gateway port BASE+100+n and metrics port
# BASE+200+n, with BASE = $FLASHRAFT_BASE_PORT (default 7100): n1 serves clients on 7201.
# $FLASHRAFT_CLASSPATH, when set, runs the nodes from those classes instead of the built jar
# (the tests do: they run before the jar is packaged).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/server/target/flashraft.jar"
run="${FLASHRAFT_RUN:-$root/run}"
base="${FLASHRAFT_BASE_PORT:-7100}"
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

# The nodes the configs describe: 1 2 3 (or up to 5).
nodes() {
  local f
  for f in "$run"/conf/n*.yaml; do
    [[ -f $f ]] || return 0
    basename "$f" .yaml | tr -d n
  done | sort -n
}
pid_of() { local f="$run/pids/n$1.pid"; [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }
node_status() { curl -sf --max-time 2 "http://127.0.0.1:$((base + 200 + $1))/status"; }
check_node() {
  [[ $1 =~ ^[0-9]+$ ]] && [[ -f $run/conf/n$1.yaml ]] || die "no node $1 (the nodes are: $(nodes | tr '\n' ' '))"
}

# Writes one config per node; every node describes the same cluster (their hashes must agree).
configure() {
  local count=$1 n m
  [[ $count == 3 || $count == 5 ]] || die "--nodes is 3 or 5, not $count"
  mkdir -p "$run/conf"
  rm -f "$run"/conf/n*.yaml
  for ((n = 1; n <= count; n++)); do
    {
      echo "# Node n$n of a local $count-node cluster on loopback, written by scripts/cluster.sh."
      echo "# Every key is documented in docs/configuration.md; keys left out take their defaults."
      echo "node-id: n$n"
      echo "data-dir: ../data/n$n              # relative to this file"
      echo
      echo "cluster:                           # the same on every node (compared by hash)"
      echo "  groups-per-node: 4"
      echo "  replication-factor: 3"
      echo "  nodes:"
      for ((m = 1; m <= count; m++)); do
        echo "    - {id: n$m, host: 127.0.0.1, raft-port: $((base + m)), gateway-port: $((base + 100 + m)), metrics-port: $((base + 200 + m))}"
      done
      echo
      echo "raft:"
      echo "  election-timeout-min-ms: 3000"
      echo "  election-timeout-max-ms: 6000"
      echo
      echo "namespaces:"
      echo "  - name: test"
      echo "    consistency: strong"
      echo "    default-ttl-sec: 0"
      echo "    storage:"
      echo "      engine: device"
      echo "      devices: [test.dat]          # relative to data-dir/test"
      echo "      device-size-bytes: 268435456"
      echo "      write-block-size-bytes: 1048576"
    } >"$run/conf/n$n.yaml"
  done
  echo "wrote $count node configs to $run/conf"
}

build_if_needed() {
  [[ -z ${FLASHRAFT_CLASSPATH:-} ]] || return 0
  local newest
  newest=$(find "$root" \( -path "$root/run" -o -name target -o -name .git \) -prune \
    -o \( -name '*.java' -o -name pom.xml \) -newer "$jar" -print -quit 2>/dev/null || true)
  if [[ ! -f $jar || -n $newest ]]; then
    echo "== building the server (mvn package -DskipTests; the first build downloads dependencies)"
    (cd "$root" && mvn -B -ntp package -DskipTests -pl server -am | grep --line-buffered -E "Building FlashRaft|BUILD|ERROR")
  fi
}

# Every running node answers /status and names a leader for each of its groups.
all_led() {
  local n out
  for n in "$@"; do
    out=$(node_status "$n") || return 1
    awk 'NR > 2 && $3 == "-" { missing = 1 } END { exit missing }' <<<"$out" || return 1
  done
}

start_node() {
  local n=$1 pid
  if pid=$(pid_of "$n"); then
    echo "n$n already running (pid $pid)"
    return
  fi
  mkdir -p "$run/logs" "$run/pids"
  local launch=(-jar "$jar")
  [[ -z ${FLASHRAFT_CLASSPATH:-} ]] || launch=(-cp "$FLASHRAFT_CLASSPATH" io.flashraft.server.FlashRaftCommand)
  # shellcheck disable=SC2086
  nohup java $FLASHRAFT_JAVA_OPTS "${launch[@]}" server --config "$run/conf/n$n.yaml" >>"$run/logs/n$n.log" 2>&1 &
  echo $! >"$run/pids/n$n.pid"
  echo "started n$n (pid $!, log $run/logs/n$n.log)"
}

# Waits until the given nodes answer and every group they host has a leader.
await_led() {
  local waited=0 n
  printf "waiting for a leader in every partition group"
  until all_led "$@"; do
    for n in "$@"; do
      pid_of "$n" >/dev/null || { echo; tail -20 "$run/logs/n$n.log" >&2; die "n$n exited during start (log above)"; }
    done
    (( waited++ < 180 )) || { echo; die "no leader for every group after 180 s; see $run/logs"; }
    printf "."
    sleep 1
  done
  echo " ready after ${waited} s"
}

start() {
  local count=${1:-}
  build_if_needed
  if [[ -n $count ]]; then
    if [[ -n $(nodes) && $(nodes | wc -l) != "$count" ]]; then
      die "$run holds a $(nodes | wc -l)-node cluster; stop it and remove $run to start one of $count"
    fi
    [[ -n $(nodes) ]] || configure "$count"
  fi
  [[ -n $(nodes) ]] || configure 3
  local n
  mapfile -t all < <(nodes)
  for n in "${all[@]}"; do
    start_node "$n"
  done
  await_led "${all[@]}"
  status
  round_trip
}

# Shows the cluster working end to end, the way a user reaches it: the CLI, through a gateway.
round_trip() {
  local cli="$root/bin/flashraft"
  export FLASHRAFT_SEEDS="127.0.0.1:$((base + 101))"
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

# Sends SIGTERM and waits for the node to hand off its groups and exit.
stop_node() {
  local n=$1 pid waited=0
  pid=$(pid_of "$n") || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid"
  printf "n%s: SIGTERM sent (pid %s), waiting for it to hand off and exit" "$n" "$pid"
  while pid_of "$n" >/dev/null; do
    (( waited++ < 120 )) || { echo; die "n$n (pid $pid) still running 120 s after SIGTERM"; }
    printf "."
    sleep 1
  done
  rm -f "$run/pids/n$n.pid"
  echo " stopped"
}

# One node at a time: each hands its groups to nodes still running, then exits.
stop() {
  local n
  for n in $(nodes); do
    stop_node "$n"
  done
}

signal_node() {
  local n=$1 signal=$2 pid
  check_node "$n"
  pid=$(pid_of "$n") || die "n$n is not running"
  kill -"$signal" "$pid"
  echo "n$n: SIG$signal sent (pid $pid)"
}

kill_node() {
  signal_node "$1" KILL
  while pid_of "$1" >/dev/null; do sleep 0.1; done
  rm -f "$run/pids/n$1.pid"
}

restart_node() {
  check_node "$1"
  stop_node "$1"
  start_node "$1"
  await_led "$1"
}

wipe_node() {
  check_node "$1"
  if pid_of "$1" >/dev/null; then
    die "n$1 is running: kill or stop it before wiping its data"
  fi
  rm -rf "$run/data/n$1"
  echo "n$1: data wiped ($run/data/n$1)"
}

status() {
  local n pid
  for n in $(nodes); do
    if pid=$(pid_of "$n"); then
      echo "--- n$n (pid $pid)"
      node_status "$n" || echo "(not answering on its metrics port)"
    else
      echo "--- n$n: not running"
    fi
  done
}

usage() { die "usage: scripts/cluster.sh start [--nodes 3|5] | stop | status | configure [--nodes 3|5] | kill|pause|resume|restart|wipe NODE"; }
nodes_option() {
  case "${1:-}" in
    "") echo "" ;;
    --nodes) [[ -n ${2:-} ]] || usage; echo "$2" ;;
    --nodes=*) echo "${1#--nodes=}" ;;
    *) usage ;;
  esac
}

verb="${1:-}"
shift || true
case "$verb" in
  start) count=$(nodes_option "$@") || exit 1; start "$count" ;;
  configure) count=$(nodes_option "$@") || exit 1; configure "${count:-3}" ;;
  stop) stop ;;
  status) status ;;
  kill) [[ $# == 1 ]] || usage; check_node "$1"; kill_node "$1" ;;
  pause) [[ $# == 1 ]] || usage; signal_node "$1" STOP ;;
  resume) [[ $# == 1 ]] || usage; signal_node "$1" CONT ;;
  restart) [[ $# == 1 ]] || usage; restart_node "$1" ;;
  wipe) [[ $# == 1 ]] || usage; wipe_node "$1" ;;
  *) usage ;;
esac
