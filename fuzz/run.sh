#!/usr/bin/env bash
# Runs one fuzz target for a bounded time in one process (one core; libFuzzer's -jobs would fork
# workers and log to files instead), seeded from fuzz/seeds.list.
#
#   fuzz/run.sh TARGET [SECONDS]        (default 300 s)
#
# Builds without a sanitizer (`-s none`): the crate forbids `unsafe`, so AddressSanitizer would
# only slow the run down, and without it stable Rust needs no RUSTC_BOOTSTRAP. The corpus grows
# in fuzz/corpus/TARGET and crashes land in fuzz/artifacts/TARGET (both git-ignored).
set -euo pipefail
target="${1:?usage: fuzz/run.sh TARGET [SECONDS]}"
seconds="${2:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus/$target"
mkdir -p "$corpus"
while read -r name path; do
  [[ "$name" == "$target" ]] || continue
  if [[ -d "$root/$path" ]]; then
    find "$root/$path" -type f -exec cp {} "$corpus/" \;
  else
    cp "$root/$path" "$corpus/"
  fi
done < <(grep -v '^#' "$root/fuzz/seeds.list")
cd "$root/fuzz"
exec cargo fuzz run -s none "$target" "$corpus" -- \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
