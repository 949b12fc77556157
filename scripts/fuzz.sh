#!/usr/bin/env bash
# Coverage-guided fuzzing of one reader of untrusted input with libFuzzer (from the Swift
# toolchain): scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
# Targets: xml iso20022 json toml_serve toml_rules toml_union trade_csv obligation_csv hub_log.
# Builds `polyclear` once with --sanitize=fuzzer into .build-fuzz (release, 15-30 minutes on
# two cores the first time; that binary is only a fuzzer), seeds the corpus from the test
# fixtures (Tests/Fuzz/seeds, the ISO 20022 samples), and fuzzes for SECONDS. The corpus grows in
# .build-fuzz/corpus/TARGET; a crash or hang is written to .build-fuzz/crashes/ and replays
# with: swift run polyclear fuzz replay TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh TARGET SECONDS}"
seconds="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
shift 2
case "$target" in
    xml|iso20022|json|toml_serve|toml_rules|toml_union|trade_csv|obligation_csv|hub_log) ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
scratch=.build-fuzz
swift build -c release --scratch-path "$scratch" --sanitize=fuzzer -Xswiftc -DFUZZING --product polyclear >&2
binary="$scratch/release/polyclear"
corpus="$scratch/corpus/$target"
mkdir -p "$corpus" "$scratch/crashes"
if [ -d "Tests/Fuzz/seeds/$target" ]; then cp -n Tests/Fuzz/seeds/"$target"/* "$corpus"/; fi
case "$target" in
    xml|iso20022) cp -n Tests/PolyclearISO20022Tests/Fixtures/iso20022/samples/*.xml "$corpus"/; cp -n Tests/Fuzz/seeds/xml/* "$corpus"/ ;;
esac
# -timeout: an input that takes over 10 s is a hang (reported like a crash).
SWIFT_BACKTRACE=enable=no POLYCLEAR_FUZZ_TARGET="$target" "$binary" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$scratch/crashes/$target-" "$@"
