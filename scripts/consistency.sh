#!/usr/bin/env bash
# Runs one consistency test against a local cluster of real server processes and writes the
# history, the checker's verdict and the fault timeline under results/<time>-<workload>/:
#
#   scripts/consistency.sh --workload register --nemesis partition,kill --time 120
#
# Options (all optional; `--help` lists them): --workload register|list-append|set|counter,
# --nemesis kill,pause,restart,wipe,partition,loss (the last two imply --netns), --netns,
# --time SECONDS, --fault-interval SECONDS, --loss-percent N, --nodes 3|5, --workers N, --keys N,
# --min-ok N, --seed N, --base-port N (the cluster's ports, default 7400, see cluster.sh). Exit
# code 0 when the history is valid, enough operations succeeded and every fault took effect.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== building the server jar and the harness"
mvn -B -ntp -q install -DskipTests -pl chaos,server -am
mvn -B -ntp -q dependency:build-classpath -pl chaos -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
echo "== running"
exec java -Xmx1g -cp "chaos/target/classes:$(cat chaos/target/classpath.txt)" io.flashraft.chaos.ConsistencyRun \
  --root "$root" --results "$root/results" "$@"
