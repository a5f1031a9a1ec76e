#!/usr/bin/env bash
# Size benchmark: the gzipped size of everything the browser downloads to show the widget
# (HTML, JS, wasm, CSS of the release build). Run scripts/build.sh first, or pass --build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--build" ]; then scripts/build.sh; fi
test -f dist/index.html || { echo "size: no dist/ yet: run scripts/build.sh" >&2; exit 1; }
shopt -s nullglob
total_raw=0
total_gz=0
printf '%-44s %10s %10s\n' file bytes gzip-9
for file in dist/*.html dist/*.js dist/*.wasm dist/*.css; do
  raw=$(stat -c %s "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %10d %10d\n' "${file#dist/}" "$raw" "$gz"
done
printf '%-44s %10d %10d\n' total "$total_raw" "$total_gz"
# A catalog that only the agents speaking its language download, on top of the total.
for file in dist/locales/*.txt; do
  printf '%-44s %10d %10d\n' "${file#dist/} (its speakers only)" "$(stat -c %s "$file")" "$(gzip -9 -c "$file" | wc -c)"
done
