#!/usr/bin/env bash
# Races FlashRaft against etcd and ZooKeeper on this machine, in one run and with one load
# generator: a 3-node cluster of each on loopback (Debian's etcd-server and zookeeper packages,
# FlashRaft from scripts/cluster.sh), one system at a time, each at its default durability
# (a write is acknowledged once fsynced on a majority). For each system: start, warm up (the
# JVM systems need minutes of load before their JIT settles), load the keys, then run every
# workload, reading the CPU the three server processes used from /proc around each run. Prints
# one table at the end and keeps every result and log under the output directory (each system's
# data is removed once it stops).
#
#   scripts/bench-peers.sh            all three systems (about 35 minutes)
#
# Settings (environment): BENCH_SYSTEMS ("etcd zookeeper flashraft"), BENCH_DURATION (20 s a
# run), BENCH_WARMUP (240 s of 64-thread reads and updates before the first run of a system),
# BENCH_RUN_WARMUP (20 s of each workload, unmeasured, right before its run),
# BENCH_KEYS (100000), BENCH_RATE (500 ops/s for the open-loop run), BENCH_OUT (where results
# go; default results/bench-peers-DATE), BENCH_FLASHRAFT_GROUPS (FlashRaft's partition groups,
# 1: like etcd's and ZooKeeper's one log, and what carries the most on one machine's cores).
# Needs: apt-get install etcd-server zookeeper, and the built jars (mvn -B package -DskipTests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
systems=${BENCH_SYSTEMS:-etcd zookeeper flashraft}
duration=${BENCH_DURATION:-20}
warmup=${BENCH_WARMUP:-240}
run_warmup=${BENCH_RUN_WARMUP:-20}
keys=${BENCH_KEYS:-100000}
rate=${BENCH_RATE:-500}
flashraft_groups=${BENCH_FLASHRAFT_GROUPS:-1}
out=${BENCH_OUT:-$root/results/bench-peers-$(date -u +%Y%m%d-%H%M%S)}
peers_jar="$root/loadgen-peers/target/flashraft-peers.jar"
# Every client JVM runs with the same options: the FlashRaft CLI's.
client_opts="-Xmx512m -XX:TieredStopAtLevel=1"
# Every JVM server (ZooKeeper, FlashRaft) gets the heap and collector of scripts/cluster.sh's nodes.
server_jvm="-Xms256m -Xmx768m -XX:+UseSerialGC"
hz=$(getconf CLK_TCK)

die() { echo "bench-peers: $*" >&2; exit 1; }
log() { echo "== [$(date -u +%H:%M:%S)] $*" >&2; }

[[ " $systems " != *" etcd "* ]] || command -v etcd >/dev/null || die "etcd is missing: apt-get install etcd-server"
[[ " $systems " != *" zookeeper "* ]] || [[ -f /usr/share/java/zookeeper.jar ]] \
  || die "ZooKeeper is missing: apt-get install zookeeper"
[[ -f $peers_jar && -f $root/server/target/flashraft.jar ]] || die "build first: mvn -B package -DskipTests"
mkdir -p "$out"

# The workloads: name, operation mix, value bytes, client threads, target rate (0: closed loop).
workloads=(
  "update        update=100            100  16 0"
  "update        update=100            100  64 0"
  "read/update   read=50,update=50     1024 16 0"
  "read/update   read=50,update=50     1024 64 0"
  "95/5          read=95,update=5      1024 16 0"
  "95/5          read=95,update=5      1024 64 0"
  "read          read=100              1024 16 0"
  "read          read=100              1024 64 0"
  "update@rate   update=100            100  64 $rate"
)

# ---- the systems ---------------------------------------------------------------------------

server_pids=()
stop_system=:

etcd_start() {
  local n cluster="" dir="$out/etcd"
  for n in 1 2 3; do cluster+="${cluster:+,}e$n=http://127.0.0.1:$((23800 + n))"; done
  for n in 1 2 3; do
    mkdir -p "$dir/e$n"
    nohup etcd --name "e$n" --data-dir "$dir/e$n/data" \
      --listen-client-urls "http://127.0.0.1:$((23790 + n))" --advertise-client-urls "http://127.0.0.1:$((23790 + n))" \
      --listen-peer-urls "http://127.0.0.1:$((23800 + n))" --initial-advertise-peer-urls "http://127.0.0.1:$((23800 + n))" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench-peers \
      --auto-compaction-mode periodic --auto-compaction-retention 1m --quota-backend-bytes 8589934592 \
      >"$dir/e$n.log" 2>&1 &
    server_pids+=($!)
  done
  stop_system=kill_servers
  for n in 1 2 3; do
    wait_for "etcd member e$n" "curl -sf http://127.0.0.1:$((23790 + n))/health | grep -q '\"health\":\"true\"'"
  done
  endpoints="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"
  durability="etcd $(etcd --version | sed -n 's/^etcd Version: //p'): WAL fsynced before a member acknowledges (3.4 has no flag to turn it off); commit on a majority"
}
etcd_bench() { java $client_opts -jar "$peers_jar" etcd --endpoints "$endpoints" "$@"; }

zookeeper_start() {
  local n dir="$out/zookeeper"
  for n in 1 2 3; do
    mkdir -p "$dir/z$n/data"
    echo "$n" >"$dir/z$n/data/myid"
    {
      echo "tickTime=2000"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$dir/z$n/data"
      echo "clientPort=$((21810 + n))"
      echo "clientPortAddress=127.0.0.1"
      echo "forceSync=yes"
      echo "admin.enableServer=false"
      echo "4lw.commands.whitelist=srvr"
      for m in 1 2 3; do echo "server.$m=127.0.0.1:$((28880 + m)):$((38880 + m))"; done
    } >"$dir/z$n/zoo.cfg"
    nohup java $server_jvm -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
      -Dzookeeper.log.dir="$dir/z$n" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/z$n/zoo.cfg" \
      >"$dir/z$n.log" 2>&1 &
    server_pids+=($!)
  done
  stop_system=kill_servers
  for n in 1 2 3; do
    wait_for "ZooKeeper server z$n" "zk_mode $((21810 + n)) | grep -Eq 'leader|follower'"
  done
  servers="127.0.0.1:21811,127.0.0.1:21812,127.0.0.1:21813"
  durability="ZooKeeper $(zk_srvr 21811 | sed -n 's/^Zookeeper version: \([^-,]*\).*/\1/p'): transaction log fsynced before a server acknowledges (forceSync=yes); commit on a majority"
}
zk_srvr() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && echo srvr >&3 && cat <&3) 2>/dev/null || true; }
zk_mode() { zk_srvr "$1" | sed -n 's/^Mode: //p'; }
zookeeper_bench() { java $client_opts -jar "$peers_jar" zookeeper --servers "$servers" "$@"; }

flashraft_start() {
  export FLASHRAFT_RUN="$out/flashraft" FLASHRAFT_BASE_PORT=7400
  export FLASHRAFT_JAVA_OPTS="$server_jvm -XX:MaxDirectMemorySize=512m" FLASHRAFT_PARTITION_GROUPS=$flashraft_groups
  "$root/scripts/cluster.sh" configure >/dev/null
  # Room for the warm-up's churn: 2 GiB a node instead of the script's 256 MiB.
  sed -i 's/device-size-bytes: .*/device-size-bytes: 2147483648/' "$FLASHRAFT_RUN"/conf/n*.yaml
  "$root/scripts/cluster.sh" start >"$out/flashraft-start.log" 2>&1 || { cat "$out/flashraft-start.log" >&2; die "FlashRaft did not start"; }
  local n
  for n in 1 2 3; do server_pids+=("$(cat "$FLASHRAFT_RUN/pids/n$n.pid")"); done
  stop_system=flashraft_stop
  seeds="127.0.0.1:7501,127.0.0.1:7502,127.0.0.1:7503"
  durability="FlashRaft (partition groups: $flashraft_groups): $(grep -h -m1 -o 'durability: .*' "$FLASHRAFT_RUN/logs/n1.log" | sed 's/^durability: //')"
}
flashraft_stop() { "$root/scripts/cluster.sh" stop >/dev/null 2>&1 || true; server_pids=(); }
flashraft_bench() { FLASHRAFT_CLI_JAVA_OPTS="$client_opts" "$root/bin/flashraft" bench --seed "$seeds" "$@"; }

kill_servers() {
  local pid
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
# Stops the system running and removes its data (gigabytes after the warm-up); results and logs stay.
stop_current() {
  $stop_system
  stop_system=:
  [[ -z $current ]] || rm -rf "$out/$current"/*/data "$out/$current/data"
  current=
}
current=
trap stop_current EXIT

wait_for() {
  local what=$1 check=$2 waited=0
  until eval "$check"; do
    (( waited++ < 120 )) || die "$what did not come up in 60 s (logs under $out)"
    sleep 0.5
  done
  log "$what is up"
}

# CPU seconds (user + system) the server processes used so far.
server_cpu() {
  local pid total=0 stat
  for pid in "${server_pids[@]}"; do
    stat=$(cut -d')' -f2 "/proc/$pid/stat")
    total=$((total + $(awk '{print $12 + $13}' <<<"$stat")))
  done
  echo "$total"
}

# ---- the race ------------------------------------------------------------------------------

table="$out/table.txt"
printf "%-10s %-12s %7s %10s %-24s %-24s %12s\n" system workload threads "ops/s" "p50 ms" "p99 ms" "CPU s/1k ops" >"$table"

# "read" or "update" latency of a JSON result, in ms: p50 or p99.
latency() {
  sed -n "s/.*\"$2\":{\"count\":[0-9]*,\"errors\":[0-9]*,\"p50_us\":\([0-9.]*\),\"p99_us\":\([0-9.]*\).*/\1 \2/p" "$1" \
    | awk -v which="$3" '{printf "%.1f", (which == "p50" ? $1 : $2) / 1000}'
}
latencies() {
  local json=$1 which=$2 op text=""
  for op in read update; do
    grep -q "\"$op\":{" "$json" && text+="${text:+ }${op:0:1} $(latency "$json" "$op" "$which")"
  done
  echo "$text"
}

for system in $systems; do
  log "$system: starting 3 nodes"
  server_pids=()
  current=$system
  "${system}_start"
  log "$system: $durability"
  echo "$system: $durability" >>"$out/durability.txt"
  # Reads and updates both, so that the JIT has compiled every path the runs take before the
  # first run (a warm-up of updates alone left the first read run, 50/50 at 16 threads, at a
  # third of its speed while the read path compiled).
  log "$system: warming up for $warmup s (reads and updates, 64 threads) after writing all $keys keys"
  "${system}_bench" --workload read=50,update=50 --threads 64 --keys "$keys" --value-size 1024 --load \
    --warmup 0 --duration "$warmup" >"$out/$system-warmup.txt"
  run=0
  for workload in "${workloads[@]}"; do
    read -r name mix bytes threads target <<<"$workload"
    run=$((run + 1))
    json="$out/$system-$run.json"
    log "$system: $name, $threads threads, $bytes B$( (( target > 0 )) && echo ", open loop at $target ops/s")"
    # Each workload runs unmeasured first, so that its own paths are compiled and warm: after a
    # change of load a FlashRaft leader's C2 compiler made 150 compilations in the first 20 s and
    # 20 in the next 20 s (-XX:+PrintCompilation, 64 then 16 threads of updates).
    "${system}_bench" --workload "$mix" --threads "$threads" --keys "$keys" --value-size "$bytes" \
      --rate "$target" --warmup 0 --duration "$run_warmup" >"$out/$system-$run-warmup.txt"
    before=$(server_cpu)
    "${system}_bench" --workload "$mix" --threads "$threads" --keys "$keys" --value-size "$bytes" \
      --rate "$target" --warmup 0 --duration "$duration" --json "$json" >"$out/$system-$run.txt"
    after=$(server_cpu)
    ops=$(grep -o '"count":[0-9]*' "$json" | awk -F: '{s += $2} END {print s}')
    throughput=$(sed -n 's/.*"throughput":\([0-9.]*\).*/\1/p' "$json")
    cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v ops="$ops" 'BEGIN {printf "%.3f", (ops > 0 ? t / hz / ops * 1000 : 0)}')
    printf "%-10s %-12s %7s %10.0f %-24s %-24s %12s\n" "$system" "$name" "$threads" "$throughput" \
      "$(latencies "$json" p50)" "$(latencies "$json" p99)" "$cpu" >>"$table"
    tail -n 1 "$table" >&2
  done
  log "$system: stopping"
  stop_current
done

echo
echo "Durability:"
cat "$out/durability.txt"
echo
echo "Linearizable reads: etcd's default range, ZooKeeper's sync then getData, FlashRaft's default get."
echo "Keys: $keys uniform; ${duration} s a run after ${warmup} s of warm-up, each run after ${run_warmup} s of its own workload; client threads share 3 connections;"
echo "update@rate is an open loop at $rate ops/s; CPU is user + system time of the 3 server processes."
echo
cat "$table"
echo
echo "(results in $out)"
