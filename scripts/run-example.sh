#!/bin/sh
# run-example.sh -- Quick start: installs what is missing, builds, and runs
# Levee in the foreground on the example zone, on 127.0.0.1 and ::1 port 5353.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
echo "try: kdig @127.0.0.1 -p 5353 www.example.com A"
exec build/server/levee -c examples/levee.yaml
