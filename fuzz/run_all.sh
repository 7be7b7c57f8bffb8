#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 180) each, one after the other,
# niced; prints libFuzzer's final stats per target. Seeds: fuzz/seed.py.
set -u
cd "$(dirname "$0")/.."
SECS=${1:-180}
PY=${PY:-.venv/bin/python}
BIN=fuzz/target/x86_64-unknown-linux-gnu/release
# The C libraries (OpenJPEG, libdeflate; built by `cc`) get AddressSanitizer
# instrumentation too (rustc's -Zsanitizer=address covers the Rust code only);
# with clang (`apt-get install clang`) also libFuzzer's coverage, so the
# fuzzer is guided inside OpenJPEG (j2k_decode: 2,694 coverage points at the
# start instead of 450).
if command -v clang >/dev/null; then
  export CC=${CC:-clang}
  export CFLAGS="${CFLAGS:--fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer}"
else
  export CFLAGS="${CFLAGS:--fsanitize=address -fno-omit-frame-pointer}"
fi
nice cargo +nightly fuzz build --fuzz-dir fuzz >/dev/null 2>&1 || { echo "fuzz build failed"; exit 1; }
ALL="read_pixels frame_info scan rle_decode jpeg_lossless rle_roundtrip jpegls_decode jpeg_dct
  j2k_decode jxl_decode deflate_decode jpeg_lossless_roundtrip jpegls_roundtrip deflate_roundtrip"
for t in ${TARGETS:-$ALL}; do
  test -d fuzz/corpus/$t || $PY fuzz/seed.py $t fuzz/corpus/$t
  mkdir -p fuzz/artifacts/$t
  echo "== $t"
  nice "$BIN/$t" fuzz/corpus/$t -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix=fuzz/artifacts/$t/ -print_final_stats=1 -close_fd_mask=1 2>&1 \
    | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|stat::|SUMMARY|panicked|ERROR|==[0-9]+==" | tail -12
done
