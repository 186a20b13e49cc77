#!/usr/bin/env bash
# Runs every test of the reactor: unit, property, contract (including DeviceStore on a loop
# device when run as root), crash and corruption tests. Sized for 2 cores; add -Pexhaustive
# for many more property-test examples.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -ntp verify "$@"
