#!/usr/bin/env bash
# Finds a CUDA toolkit with cuBLAS for the CUDA build of bertnode, or installs one from PyPI wheels into a cache,
# and prints its root (a folder with bin/nvcc, include/cublas_v2.h, lib64/libcublas.so) as the last stdout line.
#
# Order: $BERTNODE_CUDA_HOME, then $CUDA_HOME / $CUDA_PATH, then nvcc on PATH, then /usr/local/cuda, then the
# wheels. The wheels are the CUDA 13.0 ones (nvidia-cuda-nvcc, nvidia-nvvm, nvidia-cuda-crt, nvidia-cuda-runtime,
# nvidia-cublas, nvidia-cuda-cccl): they all unpack into one nvidia/cu13 tree laid out like a toolkit. The CUDA 12
# wheels (nvidia-cuda-nvcc-cu12) cannot be used: they ship ptxas and libnvvm but no nvcc driver. A binary built
# from these wheels needs an NVIDIA driver >= 580 (CUDA 13) where it runs; on an older driver build with that
# machine's own toolkit instead (set BERTNODE_CUDA_HOME).
#
# Cache: $BERTNODE_CUDA_CACHE (default ~/.cache/bertnode-cuda). The wheels are kept in wheels/ and the unpacked
# tree in cu13-<versions-hash>/, so a second run costs nothing and a change of pinned versions reinstalls.
set -euo pipefail

log() { echo "[bertnode cuda-toolkit] $*" >&2; }

has_toolkit() {
  [ -x "$1/bin/nvcc" ] && [ -f "$1/include/cublas_v2.h" ] && [ -f "$1/include/cuda_runtime.h" ]
}

for candidate in "${BERTNODE_CUDA_HOME:-}" "${CUDA_HOME:-}" "${CUDA_PATH:-}"; do
  if [ -n "$candidate" ] && has_toolkit "$candidate"; then log "using $candidate"; echo "$candidate"; exit 0; fi
done
if command -v nvcc >/dev/null 2>&1; then
  candidate="$(cd "$(dirname "$(readlink -f "$(command -v nvcc)")")/.." && pwd)"
  if has_toolkit "$candidate"; then log "using $candidate (nvcc on PATH)"; echo "$candidate"; exit 0; fi
fi
if has_toolkit /usr/local/cuda; then log "using /usr/local/cuda"; echo /usr/local/cuda; exit 0; fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "no CUDA toolkit found, and the PyPI wheels are only used on Linux x86_64"
  exit 1
fi

packages=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-nvvm==13.0.88
  nvidia-cuda-crt==13.0.88
  nvidia-cuda-runtime==13.0.96
  nvidia-cublas==13.0.2.14
  nvidia-cuda-cccl==13.0.85
)
cache="${BERTNODE_CUDA_CACHE:-${HOME:-/tmp}/.cache/bertnode-cuda}"
stamp="$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-12)"
tree="$cache/cu13-$stamp"
root="$tree/nvidia/cu13"

if ! has_toolkit "$root" || [ ! -f "$tree/.complete" ]; then
  python="$(command -v python3 || command -v python || true)"
  if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
    log "no CUDA toolkit found and no python3 with pip to fetch the CUDA wheels"
    exit 1
  fi
  mkdir -p "$cache/wheels"
  log "fetching ${packages[*]} into $cache/wheels"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$cache/wheels" "${packages[@]}" >&2
  rm -rf "$tree"
  log "unpacking into $tree"
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --no-index --no-compile \
    --find-links "$cache/wheels" --target "$tree" "${packages[@]}" >&2
  # The wheels name their libraries by soname only and keep them in lib/; CMake's FindCUDAToolkit and the linker
  # look for the unversioned names (and lib64/ on some CMake versions).
  for lib in cudart cublas cublasLt; do
    ln -sf "lib$lib.so.13" "$root/lib/lib$lib.so"
  done
  ln -sfn lib "$root/lib64"
  has_toolkit "$root" || { log "the wheels did not produce a usable toolkit in $root"; exit 1; }
  touch "$tree/.complete"
fi
log "using $root (PyPI wheels)"
echo "$root"
