#!/usr/bin/env bash
# The record-store race of docs/benchmarks.md: the device engine against RocksDB on the same
# data (random put, get and 50/50 with 100 B and 1 KiB values), RAM per record at 10 million
# records, and cold start (in a fresh JVM, page cache dropped) against the disk's raw sequential
# read speed (dd, O_DIRECT, right after, on the same file).
# Needs root to drop the page cache. Takes about 15 minutes at the defaults on 2 cores.
#   RECORDS=5000000 SECONDS_PER_PHASE=30 DIR=/var/tmp/flashraft-bench scripts/bench-store.sh
set -euo pipefail
cd "$(dirname "$0")/.."
records=${RECORDS:-5000000}
phase_seconds=${SECONDS_PER_PHASE:-30}
dir=${DIR:-/var/tmp/flashraft-bench}
jar=bench/target/flashraft-bench.jar
[ -f "$jar" ] || mvn -B -ntp -q install -DskipTests
echo "# $(date -u +%F) $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
# Both engines run in a JVM set up as a server is: a fixed, pre-touched heap on transparent huge
# pages (the primary index is hundreds of MB of random accesses: without them, TLB misses and
# first-touch page faults double the cold start).
server_jvm=(-Xms8g -Xmx8g -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages)
for value_bytes in 100 1024; do
  java "${server_jvm[@]}" -cp "$jar" io.flashraft.bench.StoreBench --dir "$dir" --records "$records" \
    --value-bytes "$value_bytes" --threads 2 --seconds "$phase_seconds"
  device="$dir/device/device.dat"
  for run in 1 2; do
    sync
    echo 3 > /proc/sys/vm/drop_caches || echo "# could not drop the page cache: cold start may read from RAM"
    java "${server_jvm[@]}" -cp "$jar" io.flashraft.bench.ColdStartBench --dir "$dir" 2>&1 | grep -v INFO
    echo 3 > /proc/sys/vm/drop_caches || true
    echo "raw sequential read of $device (dd, 1 MiB, O_DIRECT): $(dd if="$device" of=/dev/null bs=1M iflag=direct 2>&1 | tail -1)"
  done
done
java -Xmx8g -cp "$jar" io.flashraft.bench.IndexMemoryBench --dir "$dir/index" --records 10000000
rm -rf "$dir"
