#!/usr/bin/env bash
# JMH microbenchmarks (ClientHello parse; host normalisation + allow-list decision at 10/10k/100k entries).
# Needs the project's artifacts installed: cd ../.. && mvn -B -q -o install -DskipTests -pl config,sni-router -am
# Usage: tests/bench/jmh.sh [JMH options, e.g. -f 1 -wi 2 -i 3 AllowList]   (jmh.sh -h lists them)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/jmh"
mvn -B -q ${MVN_OFFLINE:--o} package
mkdir -p "$HERE/results"
exec java -jar target/benchmarks.jar -rf text -rff "$HERE/results/jmh-latest.txt" "$@"
