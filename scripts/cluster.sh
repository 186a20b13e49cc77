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
#   scripts/cluster.sh address NODE         the node's gateway address, host:port
#
# With --netns (given to start or configure) every node runs in a network namespace of its own,
# with its own address (10.77.X.N, X from the port base) on a bridge the script makes; the
# clients stay outside and reach every node through the bridge (10.77.X.254). Then also:
#   scripts/cluster.sh partition SPEC       cut the nodes into sides, e.g. 1,2/3 or 1/2,3,4/5: iptables
#                                            rules in each node's namespace drop what comes from
#                                            nodes of other sides
#   scripts/cluster.sh cut LINKS            sever links both ways, e.g. 1-3,2-4 (a ring, a bridge)
#   scripts/cluster.sh loss NODE PERCENT    drop that share of the packets reaching the node
#   scripts/cluster.sh heal                 remove every rule
#   scripts/cluster.sh rules                the rules in force, node by node
#   scripts/cluster.sh net-up               make the namespaces and the bridge of a cluster that
#                                            `configure --netns` wrote, starting no node (the
#                                            Jepsen suite's local mode runs the nodes itself)
# `stop` also removes the namespaces, veth pairs and the bridge; so does a start that fails.
#
# Ports: node n listens on raft port BASE+n, gateway port BASE+100+n and metrics port
# BASE+200+n, with BASE = $FLASHRAFT_BASE_PORT (default 7100): n1 serves clients on 7201.
# $FLASHRAFT_HOSTS ("host1 host2 ..."), when set, gives `configure` the nodes' hosts instead of
# loopback: the Jepsen suite writes the configs of remote nodes so (jepsen/README.md).
# $FLASHRAFT_PARTITION_GROUPS (default: one per node) gives `configure` the partition groups.
# $FLASHRAFT_CLASSPATH, when set, runs the nodes from those classes instead of the built jar
# (the tests do: they run before the jar is packaged).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/server/target/flashraft.jar"
run="${FLASHRAFT_RUN:-$root/run}"
base="${FLASHRAFT_BASE_PORT:-7100}"
# The serial collector: on 2 shared cores G1's concurrent threads cost more than its pauses save
# (warmed up, 64 threads of updates: 1,999/s against 1,680; docs/benchmarks.md).
: "${FLASHRAFT_JAVA_OPTS:=-Xms256m -Xmx768m -XX:MaxDirectMemorySize=512m -XX:+UseSerialGC}"

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
netns_mode() { [[ -f $run/conf/netns ]]; }
subnet() { echo "10.77.$(( (base / 100) % 250 ))"; }
node_host() {
  if [[ -n ${FLASHRAFT_HOSTS:-} ]]; then
    local hosts
    read -r -a hosts <<<"$FLASHRAFT_HOSTS"
    echo "${hosts[$(($1 - 1))]}"
  elif netns_mode; then
    echo "$(subnet).$1"
  else
    echo 127.0.0.1
  fi
}
ns_name() { echo "fr${base}n$1"; }
bridge_name() { echo "frbr${base}"; }

need_net_tools() {
  command -v ip >/dev/null && command -v iptables >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing iproute2 and iptables"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iptables >/dev/null \
      || die "could not install iproute2 and iptables"
  else
    die "netns mode needs ip (iproute2) and iptables, and root"
  fi
}

# Creates the bridge and one namespace per node (idempotent); undoes it all if a step fails.
net_up() {
  local n ns veth br
  need_net_tools
  br=$(bridge_name)
  trap 'net_down; die "could not create the network namespaces (root and the bridge, veth and netns kernel support are needed)"' ERR
  if ! ip link show "$br" >/dev/null 2>&1; then
    ip link add "$br" type bridge
    ip addr add "$(subnet).254/24" dev "$br"
    ip link set "$br" up
  fi
  for n in $(nodes); do
    ns=$(ns_name "$n")
    veth="fr${base}v$n"
    ip netns list | grep -qw "$ns" && continue
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$br" up
    ip -n "$ns" addr add "$(subnet).$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  trap - ERR
}

net_down() {
  local n
  for n in 1 2 3 4 5; do
    ip netns del "$(ns_name "$n")" 2>/dev/null || true
    ip link del "fr${base}v$n" 2>/dev/null || true
  done
  ip link del "$(bridge_name)" 2>/dev/null || true
}

in_ns() { local n=$1; shift; ip netns exec "$(ns_name "$n")" "$@"; }

# drop A B: node A drops every packet that comes from node B. TCP needs both directions, so
# this alone already severs the link for Raft and the gateways.
drop() {
  local a=$1 b=$2
  check_node "$a"
  check_node "$b"
  [[ $a != "$b" ]] || die "a node cannot be cut from itself ($a)"
  in_ns "$a" iptables -A INPUT -s "$(subnet).$b" -j DROP
}

# partition 1,2/3: each node drops what comes from the nodes on other sides.
partition() {
  local spec=$1 side other a b
  netns_mode || die "partition needs a cluster started with --netns"
  IFS=/ read -r -a sides <<<"$spec"
  (( ${#sides[@]} >= 2 )) || die "a partition has two sides or more, e.g. 1,2/3"
  for side in "${sides[@]}"; do
    for other in "${sides[@]}"; do
      [[ $side == "$other" ]] && continue
      for a in ${side//,/ }; do
        for b in ${other//,/ }; do
          drop "$a" "$b"
        done
      done
    done
  done
  echo "partitioned: $spec"
}

# cut 1-3,2-4: sever each listed link, both ways; the nodes keep every other link. This makes
# the partitions that sides cannot: a ring of majorities, a bridge node between two halves.
cut_links() {
  local spec=$1 link
  netns_mode || die "cut needs a cluster started with --netns"
  [[ $spec =~ ^[0-9]+-[0-9]+(,[0-9]+-[0-9]+)*$ ]] || die "cut takes links A-B separated by commas, e.g. 1-3,2-4, not $spec"
  for link in ${spec//,/ }; do
    drop "${link%-*}" "${link#*-}"
    drop "${link#*-}" "${link%-*}"
  done
  echo "cut: $spec"
}

loss() {
  local n=$1 percent=$2
  netns_mode || die "loss needs a cluster started with --netns"
  check_node "$n"
  [[ $percent =~ ^[0-9]+$ ]] && (( percent <= 100 )) || die "loss is a percentage 0..100, not $percent"
  in_ns "$n" iptables -A INPUT -m statistic --mode random --probability "$(awk "BEGIN { print $percent / 100 }")" -j DROP
  echo "n$n: dropping $percent % of its incoming packets"
}

heal() {
  local n
  netns_mode || die "heal needs a cluster started with --netns"
  for n in $(nodes); do
    in_ns "$n" iptables -F INPUT
  done
  echo "healed: no rules left"
}

rules() {
  local n
  netns_mode || die "rules needs a cluster started with --netns"
  for n in $(nodes); do
    echo "--- n$n ($(node_host "$n"))"
    in_ns "$n" iptables -S INPUT | grep -v '^-P' || true
  done
}

pid_of() { local f="$run/pids/n$1.pid"; [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }
node_status() { curl -sf --max-time 2 "http://$(node_host "$1"):$((base + 200 + $1))/status"; }
check_node() {
  [[ $1 =~ ^[0-9]+$ ]] && [[ -f $run/conf/n$1.yaml ]] || die "no node $1 (the nodes are: $(nodes | tr '\n' ' '))"
}

# Writes one config per node; every node describes the same cluster (their hashes must agree).
configure() {
  local count=$1 netns=$2 n m
  [[ $count == 3 || $count == 5 ]] || die "--nodes is 3 or 5, not $count"
  if [[ -n ${FLASHRAFT_HOSTS:-} ]]; then
    local hosts
    read -r -a hosts <<<"$FLASHRAFT_HOSTS"
    (( ${#hosts[@]} == count )) || die "FLASHRAFT_HOSTS names ${#hosts[@]} hosts for $count nodes"
  fi
  mkdir -p "$run/conf"
  rm -f "$run"/conf/n*.yaml "$run/conf/netns"
  [[ $netns == 0 ]] || echo "$(subnet).0/24" >"$run/conf/netns"
  for ((n = 1; n <= count; n++)); do
    {
      echo "# Node n$n of a $count-node cluster, written by scripts/cluster.sh configure."
      echo "# Every key is documented in docs/configuration.md; keys left out take their defaults."
      echo "node-id: n$n"
      echo "data-dir: ../data/n$n              # relative to this file"
      echo
      echo "cluster:                           # the same on every node (compared by hash)"
      echo "  partition-groups: ${FLASHRAFT_PARTITION_GROUPS:-$count}"
      echo "  replication-factor: 3"
      echo "  nodes:"
      for ((m = 1; m <= count; m++)); do
        echo "    - {id: n$m, host: $(node_host "$m"), raft-port: $((base + m)), gateway-port: $((base + 100 + m)), metrics-port: $((base + 200 + m))}"
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
  echo "wrote $count node configs to $run/conf$(netns_mode && echo " (each node in its own network namespace, $(subnet).0/24)")"
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
  local launch=(-jar "$jar") prefix=()
  [[ -z ${FLASHRAFT_CLASSPATH:-} ]] || launch=(-cp "$FLASHRAFT_CLASSPATH" io.flashraft.server.FlashRaftCommand)
  ! netns_mode || prefix=(ip netns exec "$(ns_name "$n")")
  # shellcheck disable=SC2086
  nohup "${prefix[@]}" java $FLASHRAFT_JAVA_OPTS "${launch[@]}" server --config "$run/conf/n$n.yaml" \
    >>"$run/logs/n$n.log" 2>&1 &
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
  local count=${1:-} netns=${2:-0}
  build_if_needed
  if [[ -n $count ]]; then
    if [[ -n $(nodes) && $(nodes | wc -l) != "$count" ]]; then
      die "$run holds a $(nodes | wc -l)-node cluster; stop it and remove $run to start one of $count"
    fi
  fi
  if [[ -n $(nodes) ]] && ! netns_mode && [[ $netns == 1 ]]; then
    die "$run holds a cluster on loopback; stop it and remove $run to start one in namespaces"
  fi
  [[ -n $(nodes) ]] || configure "${count:-3}" "$netns"
  ! netns_mode || net_up
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
  export FLASHRAFT_SEEDS="$(node_host 1):$((base + 101))"
  echo "== a round trip through the CLI"
  echo "\$ bin/flashraft put test demo hello greeting='hello from FlashRaft' visits=0"
  "$cli" put test demo hello greeting='hello from FlashRaft' visits=0
  echo "\$ bin/flashraft operate test demo hello add:visits=1 read:visits"
  "$cli" operate test demo hello add:visits=1 read:visits
  echo "\$ bin/flashraft get test demo hello"
  "$cli" get test demo hello
  echo "\$ bin/flashraft status"
  # Exit code 4 here means a group is between leaders (the balancer moves leaders just after a start).
  "$cli" status || echo "(a group has no leader at this moment; scripts/cluster.sh status shows each node's view)"
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
  if netns_mode; then
    net_down
    echo "removed the network namespaces and the bridge"
  fi
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

usage() {
  die "usage: scripts/cluster.sh start|configure [--nodes 3|5] [--netns] | stop | status | kill|pause|resume|restart|wipe|address NODE | partition SPEC | cut LINKS | loss NODE PERCENT | heal | rules | net-up"
}
# Reads --nodes N and --netns into $count and $netns.
count=""
netns=0
parse_start_options() {
  while (( $# > 0 )); do
    case "$1" in
      --nodes) [[ -n ${2:-} ]] || usage; count=$2; shift 2 ;;
      --nodes=*) count=${1#--nodes=}; shift ;;
      --netns) netns=1; shift ;;
      *) usage ;;
    esac
  done
}

verb="${1:-}"
shift || true
case "$verb" in
  start) parse_start_options "$@"; start "$count" "$netns" ;;
  configure) parse_start_options "$@"; configure "${count:-3}" "$netns" ;;
  partition) [[ $# == 1 ]] || usage; partition "$1" ;;
  cut) [[ $# == 1 ]] || usage; cut_links "$1" ;;
  loss) [[ $# == 2 ]] || usage; loss "$1" "$2" ;;
  address) [[ $# == 1 ]] || usage; check_node "$1"; echo "$(node_host "$1"):$((base + 100 + $1))" ;;
  heal) heal ;;
  rules) rules ;;
  net-up) netns_mode || die "net-up needs a cluster configured with --netns"; net_up; echo "namespaces and bridge up" ;;
  stop) stop ;;
  status) status ;;
  kill) [[ $# == 1 ]] || usage; check_node "$1"; kill_node "$1" ;;
  pause) [[ $# == 1 ]] || usage; signal_node "$1" STOP ;;
  resume) [[ $# == 1 ]] || usage; signal_node "$1" CONT ;;
  restart) [[ $# == 1 ]] || usage; restart_node "$1" ;;
  wipe) [[ $# == 1 ]] || usage; wipe_node "$1" ;;
  *) usage ;;
esac
