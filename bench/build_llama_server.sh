#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` (C++: --parallel slots, continuous batching) from the llama.cpp sources that
# the pinned llama-cpp-python sdist vendors, into $AIGC_CACHE_DIR/llama-server/bin. Skips the build when that
# version is already there (about 10 minutes on 2 cores the first time). Needs cmake and a C++ compiler (GCC >= 11
# or clang >= 12, for -mno-amx-*).
# Built for this CPU (GGML_NATIVE) but without AMX: on an AMX CPU (Sapphire Rapids) llama.cpp's AMX matmul
# (ggml_backend_amx_mul_mat) crashes with SIGSEGV in the warm-up run on Gemma 3 270M Q4_K_M. BUILD names the flags:
# a binary built with other flags is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/^llama-cpp-python\[server\]==\([0-9.]*\).*/\1/p' requirements-test.txt)
BUILD="$VERSION no-amx"
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
DEST="${AIGC_CACHE_DIR:-$HOME/.cache/aigc_demo}/llama-server"
if [ -x "$DEST/bin/llama-server" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$BUILD" ]; then
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python -m pip download -q --no-deps --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -d "$WORK"
tar -xzf "$WORK"/llama_cpp_python-"$VERSION".tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
  -DCMAKE_C_FLAGS="$NO_AMX" -DCMAKE_CXX_FLAGS="$NO_AMX" >/dev/null
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" >/dev/null
mkdir -p "$DEST/bin"
cp "$WORK/build/bin/llama-server" "$DEST/bin/llama-server"
echo "$BUILD" > "$DEST/VERSION"
echo "built $DEST/bin/llama-server (llama.cpp from llama-cpp-python $VERSION, without AMX)"
