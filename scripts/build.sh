#!/bin/sh
# build.sh [DIR [meson options...]] -- configures (once) and builds Levee.
# Default DIR is build/ (optimised, jemalloc).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "build: $dir ok"
