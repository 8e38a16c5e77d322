#!/usr/bin/env bash
# GPU device check, on a GPU machine that has no network and gets only the git working tree plus
# the carried, git-ignored .device/ folder: the WebGPU kernel tests (WGSL LSTM/GRU against the
# float64 reference, steps plain and tiled) on the real GPU, then training throughput of the
# reference BiLSTM and the kaggle preset's three models on webgpu (Dawn over Vulkan; the two
# BiLSTMs with both step programs), on wasm with the native kernels (one core) and in PyTorch
# on the same GPU (fp32, TF32 off and on): two tables, with GPU dispatches per batch and the
# kaggle epoch time that follows.
#
#   bash scripts/device-check.sh --prepare    here, with network: builds .device/ (a slim copy of
#                                             node_modules with the optional webgpu packages, and
#                                             the Vulkan loader .debs); under 60 MiB
#   bash scripts/device-check.sh              on the GPU machine, from the repo root: every line also
#                                             goes to $OUT/device-check.log; under 8 minutes
#   bash scripts/device-check.sh --cpu-check  here, without a GPU: the same steps on Dawn's CPU
#                                             adapter (llvmpipe) with the local node_modules, small
#                                             models and PyTorch on the CPU: proves the script runs
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

CPU_CHECK=0
[ "${1:-}" = --cpu-check ] && CPU_CHECK=1

OUT=${OUT:-$DEVICE/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
tee_pid=$!

BUDGET=465 # seconds for the whole check (under 8 minutes); each step gets at most what is left
((CPU_CHECK)) && BUDGET=900 # llvmpipe compiles and runs shaders on a loaded CPU
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

echo "== device check $(date -u +%FT%TZ)$( ((CPU_CHECK)) && echo ' (--cpu-check: CPU adapter, small models)')"
if ((!CPU_CHECK)); then
  [ -d "$DEVICE/node_modules" ] || { echo "$DEVICE/node_modules missing: carry $DEVICE (built by --prepare)"; exit 1; }
elif [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  echo 'install the webgpu packages first: npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0'
  exit 1
fi

# 1. Vulkan loader (and EGL/GLES) from the carried .debs.
if ((CPU_CHECK)); then
  echo 'cpu check: system EGL/GLES (Mesa) as installed'
elif [ "$(id -u)" = 0 ]; then
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
if ((CPU_CHECK)) && [ -f native/build/Release/tidal_recurrence.node ]; then
  echo 'cpu check: native kernels already built here'
else
  step 90 node scripts/build-native.js
fi
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
if ((!CPU_CHECK)) && ! grep -q 'webgpu adapter: .* via vulkan$' <<<"$adapter"; then
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

# 6. Kernel tests on this machine's adapter: the backend's own tests, and the WGSL LSTM/GRU
#    forward and gradients against the float64 reference (every direction, initial states,
#    batch 3 / hidden 5, batch 64 / hidden 64, batch 70 / hidden 20; steps plain and tiled).
step 150 node scripts/run-tests.js test/models/backend test/models/webgpu-recurrence
tests_rc=$?

# 7. Throughput: the reference BiLSTM (2 x BiLSTM 64 + Dense 32 + Dense 1, batch 256, T 80, 12
#    features) and the kaggle preset's bilstm (batch 512), lstm-raw (batch 512) and
#    lstm-cnn-transformer (batch 128); on webgpu (WGSL kernels), on wasm with the native kernels
#    (one core; the kaggle models at batch 8 there and 2 timed batches, a core's seq/s hardly
#    depends on it), and PyTorch on this GPU in fp32 with TF32 off and on (timed once a case).
#    First the two BiLSTMs with the WGSL steps plain and tiled (TIDAL_WEBGPU_STEP) in the same
#    run, then the other two with the size-based choice (tiled from 128 units): rows print as they
#    finish, so a run cut short by the budget keeps the first table. Building a kaggle model takes
#    tens of seconds of CPU (seeded orthogonal init of the 1024-wide kernels).
#    Node directly rather than npm: a bare GPU machine may have node (carried) but no npm.
if ((CPU_CHECK)); then
  step 450 node --import tsx bench/train.ts --backends webgpu,wasm --cases bilstm-fused,kaggle-bilstm --webgpu-steps plain,tiled --tiny --seconds 1 --batches 1 --torch-device cpu
  steps_rc=$?
  step 300 node --import tsx bench/train.ts --backends webgpu,wasm --cases kaggle-lstm-raw,kaggle-lstm-cnn-transformer --tiny --seconds 1 --batches 1 --torch-device cpu
else
  step 280 node --import tsx bench/train.ts --backends webgpu,wasm --cases bilstm-fused,kaggle-bilstm --webgpu-steps plain,tiled --paths webgpu,native --cpu-batch 8 --cpu-batches 2 --seconds 6 --batches 4 --torch-device cuda
  steps_rc=$?
  step 200 node --import tsx bench/train.ts --backends webgpu,wasm --cases kaggle-lstm-raw,kaggle-lstm-cnn-transformer --paths webgpu,native --cpu-batch 8 --cpu-batches 2 --seconds 6 --batches 4 --torch-device cuda
fi
others_rc=$?
bench_rc=$((steps_rc || others_rc))

echo "== kernel tests rc=$tests_rc, bench rc=$bench_rc; done in ${SECONDS}s"
exec >&- 2>&-
wait "$tee_pid"
((tests_rc == 0 && bench_rc == 0))
