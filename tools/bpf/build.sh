#!/usr/bin/env bash
# Rebuilds the committed BPF object src/capture/ebpf/bpf/provscope.bpf.o from its C
# source with the pinned clang, so `cargo build` itself needs no C toolchain.
#   tools/bpf/build.sh           rebuild in place
#   tools/bpf/build.sh --check   rebuild to a temporary file; fail if the committed
#                                object differs (CI runs this)
# Installs the pinned clang (Debian's clang-19) when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/../../src/capture/ebpf/bpf"
CLANG=${CLANG:-clang-19}
STRIP=${STRIP:-llvm-strip-19}
if ! command -v "$CLANG" >/dev/null || ! command -v "$STRIP" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-19 llvm-19 >/dev/null
  else
    echo "tools/bpf/build.sh: needs $CLANG and $STRIP (Debian: apt-get install clang-19 llvm-19)" >&2
    exit 1
  fi
fi
out=provscope.bpf.o
[ "${1:-}" = "--check" ] && out=$(mktemp --suffix=.bpf.o)
# Paths mapped to "." and no DWARF: the object must not depend on where the tree lives
# (BTF line info would otherwise carry the absolute source path).
"$CLANG" -target bpf -O2 -g -ffile-prefix-map="$PWD"=. -fdebug-compilation-dir=. -Wall -Werror -D__TARGET_ARCH_x86 -c provscope.bpf.c -o "$out"
"$STRIP" -g "$out"
if [ "${1:-}" = "--check" ]; then
  if ! cmp -s "$out" provscope.bpf.o; then
    echo "src/capture/ebpf/bpf/provscope.bpf.o is stale: run tools/bpf/build.sh and commit it" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
  echo "provscope.bpf.o is up to date"
fi
