#!/usr/bin/env bash
# Builds the libFuzzer targets (with AddressSanitizer) and runs each for a fixed time on a seed corpus made from
# real inputs: the query examples of docs/query-language.md and the test suite, the CSV samples in seeds/csv, the
# Soda fixtures in ../shared/fixtures/soda, `tally export --format json` output in seeds/json-points, `tally dump`
# output in seeds/dump (docs/reliability.md records the runs).
#
#   Fuzz/run.sh [seconds per target, default 300] [target ...]     e.g. Fuzz/run.sh 60 FuzzQuery
#
# Crashes are written to Fuzz/.build/artifacts/<target>/; the growing corpus stays in Fuzz/.build/corpus/<target>/.
# FuzzDumpLoad makes a store per accepted dump in $TALLY_FUZZ_TMP: a directory made here (under /dev/shm when there
# is one, so that the stores' syncs cost nothing) and removed at the end.
set -eu
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-300}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(FuzzQuery FuzzCSV FuzzSoda FuzzJSONPoints FuzzDumpLoad)
FIXTURES="${TALLY_SODA_FIXTURES:-../../shared/fixtures/soda}"

export SWIFT_BACKTRACE=enable=no  # libFuzzer prints the crash; the Swift backtracer only slows it down
nice -n 5 swift build -c release --scratch-path .build -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

corpus=.build/corpus
mkdir -p "$corpus/FuzzQuery" "$corpus/FuzzCSV" "$corpus/FuzzSoda" "$corpus/FuzzJSONPoints" "$corpus/FuzzDumpLoad"
# Queries: every line of the code blocks in docs/query-language.md, and the query strings of the parser tests.
n=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    printf '%s' "$line" > "$corpus/FuzzQuery/doc-$n"; n=$((n + 1))
done < <(awk '/^```/{f=!f; next} f' ../docs/query-language.md)
grep -ho 'check("[^"]*\(\\"[^"]*\)*"' ../Tests/TallyQueryTests/ParserTests.swift | sed 's/^check("//; s/"$//; s/\\"/"/g' |
    while IFS= read -r line; do printf '%s' "$line" > "$corpus/FuzzQuery/test-$(printf '%s' "$line" | md5sum | cut -c1-12)"; done
cp seeds/csv/* "$corpus/FuzzCSV/"
for f in "$FIXTURES"/*.json; do cp "$f" "$corpus/FuzzSoda/"; done
cp seeds/json-points/* "$corpus/FuzzJSONPoints/"
cp seeds/dump/* "$corpus/FuzzDumpLoad/"

stores_parent=/dev/shm
[ -d "$stores_parent" ] && [ -w "$stores_parent" ] || stores_parent="${TMPDIR:-/tmp}"
TALLY_FUZZ_TMP="$(mktemp -d "$stores_parent/tally-fuzz.XXXXXX")"
export TALLY_FUZZ_TMP
trap 'rm -rf "$TALLY_FUZZ_TMP"' EXIT

for target in "${TARGETS[@]}"; do
    mkdir -p ".build/artifacts/$target"
    dict=()
    [ -f "$target.dict" ] && dict=(-dict="$target.dict")
    echo "== $target: $SECONDS_PER_TARGET s"
    nice -n 5 ".build/release/$target" "$corpus/$target" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=".build/artifacts/$target/" 2>&1 |
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|SUMMARY|Fatal error|^  (dump|loaded):|Test unit written|^==' || true
done
