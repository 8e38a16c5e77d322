#!/usr/bin/env bash
# GPU device check: training throughput of the reference BiLSTM on the webgpu backend (Dawn over
# Vulkan) next to wasm/cpu with the native kernels, on a GPU machine that has no network and gets
# only the git working tree plus the carried, git-ignored .device/ folder.
#
#   bash scripts/device-check.sh --prepare   here, with network: builds .device/ (a slim copy of
#                                            node_modules with the optional webgpu packages, and
#                                            the Vulkan loader .debs); under 60 MiB
#   bash scripts/device-check.sh             on the GPU machine, from the repo root: every line also
#                                            goes to $OUT/device-check.log; under 6 minutes
set -uo pipefail

DEVICE=.device

prepare() {
  set -e
  [ -d node_modules/webgpu ] && [ -d node_modules/@tensorflow/tfjs-backend-webgpu ] || {
    echo 'install the webgpu packages first: npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0' >&2
    exit 1
  }
  rm -rf "$DEVICE"
  mkdir -p "$DEVICE/debs"
  cp -a node_modules "$DEVICE/node_modules"
  (
    cd "$DEVICE/node_modules"
    # Type-checking and typings: tsx only strips types.
    rm -rf .bin typescript @types undici-types @webgpu webgpu/node_modules/@webgpu @tensorflow/*/node_modules/@types
    # core-js is a polyfill for tfjs's browser bundles; the Node bundles never load it.
    rm -rf core-js
    # Dawn: only this platform's binary; build/ holds the package's own build and postinstall.
    find webgpu/dist -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
    rm -rf webgpu/build
    # Under Node, `import '@tensorflow/tfjs'` (and each tfjs package it pulls in) resolves through
    # package.json "main" (no "exports" field) to one CommonJS bundle, dist/tf*.node.js; the
    # per-file ES modules, browser bundles, sources and tools are never loaded. The wasm backend
    # also reads its .wasm binaries from dist/.
    for pkg in @tensorflow/*; do
      main=$(node -p "require('./$pkg/package.json').main")
      find "$pkg" -mindepth 1 -maxdepth 1 ! -name dist ! -name package.json ! -name node_modules ! -name 'LICENSE*' -exec rm -rf {} +
      find "$pkg/dist" -mindepth 1 ! -path "$pkg/$main" ! -name '*.wasm' -delete 2>/dev/null || true
      find "$pkg/dist" -mindepth 1 -type d -empty -delete
    done
    # Source maps, TypeScript sources and typings, browser bundles, docs.
    find . -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.min.js' -o -name '*.md' -o -name '*.markdown' \) -delete
    find . -mindepth 1 -type d -empty -delete
    find . -type l -delete
  )
  # The Vulkan loader: the device has the NVIDIA driver (and its ICD file) but maybe no loader;
  # libegl1/libgles2/libglvnd0 let Dawn's OpenGL ES path reach NVIDIA's EGL driver if Vulkan fails.
  mkdir -p /tmp/amd64/partial
  local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd "$DEVICE/debs" && apt-get $o download libvulkan1 libegl1 libgles2 libglvnd0)
  du -sh "$DEVICE" "$DEVICE/node_modules" "$DEVICE/debs"
  du -sm "$DEVICE" | awk '$1 >= 60 { print "over the 60 MiB budget"; exit 1 }'
}

if [ "${1:-}" = --prepare ]; then
  prepare
  exit 0
fi

OUT=${OUT:-$DEVICE/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
tee_pid=$!

BUDGET=345 # seconds for the whole check; each step gets at most what is left
# Runs "$@" under a time limit: min(cap, what is left of BUDGET).
step() {
  local cap=$1
  shift
  local left=$((BUDGET - SECONDS))
  local limit=$((cap < left ? cap : left))
  if ((limit < 10)); then
    echo "== skipped, time budget spent: $*"
    return 124
  fi
  echo "== [${SECONDS}s] $* (limit ${limit}s)"
  timeout -k 5 "$limit" "$@"
  local rc=$?
  ((rc == 124)) && echo "== timed out after ${limit}s: $*"
  return "$rc"
}

echo "== device check $(date -u +%FT%TZ)"
[ -d "$DEVICE/node_modules" ] || { echo "$DEVICE/node_modules missing: carry $DEVICE (built by --prepare)"; exit 1; }

# 1. Vulkan loader (and EGL/GLES) from the carried .debs.
if [ "$(id -u)" = 0 ]; then
  for f in "$DEVICE"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
else
  echo "not root: $DEVICE/debs not unpacked"
fi

# 2. Dependencies: the slim copy, unless a real node_modules is already here.
if [ -d node_modules ] && [ ! -L node_modules ]; then
  echo "node_modules is a real folder here: using it, not $DEVICE/node_modules"
else
  ln -sfn "$DEVICE/node_modules" node_modules
  chmod +x "$DEVICE"/node_modules/@esbuild/*/bin/esbuild
fi

# 3. The machine.
if command -v nvidia-smi >/dev/null; then nvidia-smi -L; else echo 'nvidia-smi: not found'; fi
echo "node $(node -v), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
if command -v g++ >/dev/null; then g++ --version | head -1; else echo 'g++: not found'; fi
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null
ldconfig -p | grep -E 'libvulkan\.so|libGLX_nvidia|libEGL_nvidia' | head -5

# 4. Native kernels, rebuilt for this CPU (-march=native); without them the native rows are skipped.
step 90 node scripts/build-native.js
if [ ! -f native/build/Release/tidal_recurrence.node ]; then
  echo 'native kernels not built: TIDAL_NO_NATIVE=1'
  export TIDAL_NO_NATIVE=1
fi

# 5. Which WebGPU adapter Dawn finds; if not a Vulkan one, point the loader at NVIDIA's ICD file.
probe() {
  step 45 node --import tsx -e "
    const { selectBackend } = await import('./models/backend.ts');
    const c = await selectBackend('webgpu');
    console.log('webgpu adapter: ' + c.adapter);"
}
adapter=$(probe 2>&1 | grep -v -e '^Warning: ' -e 'artificially reduced' -e '^ - While' -e '^    at ' -e '^$')
echo "$adapter"
if ! grep -q 'webgpu adapter: .* via vulkan$' <<<"$adapter"; then
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] || icd=$(timeout 10 find /usr /etc /opt -name 'nvidia_icd*.json' 2>/dev/null | head -1)
  if [ -n "$icd" ] && [ -f "$icd" ]; then
    echo "== no Vulkan adapter: retrying with VK_DRIVER_FILES=$icd"
    export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
    probe
  else
    echo '== no Vulkan adapter and no nvidia_icd.json found'
  fi
fi

# 6. Backend tests on this machine (webgpu LSTM forward/backward against cpu).
step 60 node scripts/run-tests.js test/models/backend

# 7. Throughput: the reference BiLSTM (2 x BiLSTM 64 + Dense 32 + Dense 1, batch 256, T 80):
#    fused layer on webgpu, then on wasm and cpu (native, then tf-ops path), then the stock
#    tfjs-layers stack on webgpu.
#    Node directly rather than npm: a bare GPU machine may have node (carried) but no npm.
bench() {
  local cap=$1
  shift
  step "$cap" node --import tsx bench/train.ts "$@"
}
bench 100 --backends webgpu --cases bilstm-fused --seconds 15 --batches 8
bench 110 --backends wasm,cpu --cases bilstm-fused --seconds 10 --batches 4
bench 80 --backends webgpu --cases bilstm-stock --seconds 15 --batches 2

echo "== done in ${SECONDS}s"
exec >&- 2>&-
wait "$tee_pid"
