#!/usr/bin/env bash
# Builds FlashRaft and walks through the record store on a real device file under run/demo:
# writes, compare-and-set, delete, checkpoint, restart with a cold start, reads.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== building (mvn -DskipTests install)"
mvn -B -ntp -q install -DskipTests
echo "== record store demo"
exec java -cp bench/target/flashraft-bench.jar io.flashraft.bench.StoreDemo --dir run/demo "$@"
