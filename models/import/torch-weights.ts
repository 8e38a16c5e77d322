/**
 * PyTorch parameters -> Tidal's Keras-layout layer weights. Pins the layout that a checkpoint
 * import (PyTorch, or Keras through the same Keras layout) must follow:
 *
 * - nn.Linear weight [out, in] -> Dense kernel [in, out] (transposed); several one-unit heads
 *   side by side are one Dense(heads) whose columns are the heads in order.
 * - nn.LSTM: PyTorch's gate blocks are i, f, g, o, the same order as Keras' i, f, c, o, so
 *   weight_ih [4u, in] -> kernel [in, 4u] and weight_hh [4u, u] -> recurrentKernel [u, 4u] are plain
 *   transposes; the two biases are one: bias = bias_ih + bias_hh. Bidirectional: forward weights
 *   first, then the `_reverse` ones (FusedRecurrent's order).
 * - nn.Conv1d weight [out, in, k] -> Conv1DIm2col kernel [k, in, out]; nn.ConvTranspose1d weight
 *   [in, out, k] -> Conv1DTranspose kernel [k, out, in] (Keras' Conv1DTranspose layout).
 * - nn.MultiheadAttention in_proj_weight [3D, D] = [query; key; value] rows -> three kernels
 *   [D, D] (transposed); head h is columns h*keyDim .. (h+1)*keyDim - 1 on both sides.
 * - nn.LayerNorm weight, bias -> gamma, beta.
 *
 * Gradients map the same way except the LSTM bias: d loss / d bias = d loss / d bias_ih
 * (= d loss / d bias_hh), not their sum; pass `{ gradients: true }`.
 */
import * as tf from '@tensorflow/tfjs';

/** One named PyTorch tensor, row-major (C order) as torch stores it. */
export interface TorchArray {
  shape: number[];
  data: Float32Array;
}

/** A state_dict (or its gradients): parameter name -> tensor. */
export type TorchState = ReadonlyMap<string, TorchArray>;

/** Where one Tidal layer's weights come from, piece by piece in the layer's weight order. */
export type TorchPiece =
  | { linear: string }
  | { linearHeads: string[] }
  | { lstm: string; layer?: number; bidirectional: boolean }
  | { conv1d: string }
  | { convTranspose1d: string }
  | { layerNorm: string }
  | { multiheadAttention: string };

export interface TorchLayerImport {
  /** Name of the Tidal layer (model.getLayer). */
  layer: string;
  from: TorchPiece[];
}

export interface TorchImportOptions {
  /** The state holds gradients: an LSTM bias takes d/d bias_ih instead of bias_ih + bias_hh. */
  gradients?: boolean;
}

function get(state: TorchState, key: string): TorchArray {
  const t = state.get(key);
  if (!t) throw new Error(`torch import: parameter '${key}' is missing from the state`);
  if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`torch import: parameter '${key}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  return t;
}

function expectRank(t: TorchArray, rank: number, key: string): void {
  if (t.shape.length !== rank) throw new Error(`torch import: '${key}' must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
}

/** [rows, cols] -> [cols, rows]. */
export function transpose2d(t: TorchArray): TorchArray {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return { shape: [cols, rows], data: out };
}

/** Permutes the axes of a rank-3 array: out[i0, i1, i2] = in at the axes `perm` names. */
function permute3d(t: TorchArray, perm: [number, number, number]): TorchArray {
  const shape = perm.map((p) => t.shape[p]);
  const inStrides = [t.shape[1] * t.shape[2], t.shape[2], 1];
  const out = new Float32Array(t.data.length);
  let o = 0;
  for (let a = 0; a < shape[0]; a++) {
    for (let b = 0; b < shape[1]; b++) {
      for (let c = 0; c < shape[2]; c++) {
        const idx = [0, 0, 0];
        idx[perm[0]] = a;
        idx[perm[1]] = b;
        idx[perm[2]] = c;
        out[o++] = t.data[idx[0] * inStrides[0] + idx[1] * inStrides[1] + idx[2]];
      }
    }
  }
  return { shape, data: out };
}

function rows(t: TorchArray, start: number, count: number): TorchArray {
  const width = t.shape.length === 2 ? t.shape[1] : 1;
  const data = t.data.slice(start * width, (start + count) * width);
  return { shape: t.shape.length === 2 ? [count, width] : [count], data };
}

function linear(state: TorchState, prefix: string): TorchArray[] {
  const weight = get(state, `${prefix}.weight`);
  expectRank(weight, 2, `${prefix}.weight`);
  return [transpose2d(weight), get(state, `${prefix}.bias`)];
}

function linearHeads(state: TorchState, prefixes: string[]): TorchArray[] {
  const parts = prefixes.map((p) => linear(state, p));
  const inputs = parts[0][0].shape[0];
  const units = parts.reduce((n, [k]) => n + k.shape[1], 0);
  const kernel = new Float32Array(inputs * units);
  const bias = new Float32Array(units);
  let column = 0;
  parts.forEach(([k, b], i) => {
    if (k.shape[0] !== inputs) throw new Error(`torch import: head '${prefixes[i]}' takes ${k.shape[0]} inputs, '${prefixes[0]}' takes ${inputs}`);
    const w = k.shape[1];
    for (let r = 0; r < inputs; r++) kernel.set(k.data.subarray(r * w, (r + 1) * w), r * units + column);
    bias.set(b.data, column);
    column += w;
  });
  return [{ shape: [inputs, units], data: kernel }, { shape: [units], data: bias }];
}

function lstm(state: TorchState, prefix: string, layer: number, bidirectional: boolean, gradients: boolean): TorchArray[] {
  const suffixes = bidirectional ? ['', '_reverse'] : [''];
  return suffixes.flatMap((suffix) => {
    const key = (name: string) => `${prefix}.${name}_l${layer}${suffix}`;
    const weightIh = get(state, key('weight_ih'));
    const weightHh = get(state, key('weight_hh'));
    expectRank(weightIh, 2, key('weight_ih'));
    expectRank(weightHh, 2, key('weight_hh'));
    const biasIh = get(state, key('bias_ih'));
    const biasHh = get(state, key('bias_hh'));
    const bias = gradients ? Float32Array.from(biasIh.data) : biasIh.data.map((v, i) => v + biasHh.data[i]);
    return [transpose2d(weightIh), transpose2d(weightHh), { shape: biasIh.shape, data: bias }];
  });
}

function multiheadAttention(state: TorchState, prefix: string): TorchArray[] {
  const inProj = get(state, `${prefix}.in_proj_weight`);
  const inBias = get(state, `${prefix}.in_proj_bias`);
  expectRank(inProj, 2, `${prefix}.in_proj_weight`);
  const d = inProj.shape[1];
  if (inProj.shape[0] !== 3 * d) throw new Error(`torch import: '${prefix}.in_proj_weight' must be [3D, D], got [${inProj.shape.join(', ')}]`);
  const out: TorchArray[] = [];
  for (let part = 0; part < 3; part++) out.push(transpose2d(rows(inProj, part * d, d)), rows(inBias, part * d, d));
  out.push(...linear(state, `${prefix}.out_proj`));
  return out;
}

function piece(state: TorchState, p: TorchPiece, gradients: boolean): TorchArray[] {
  if ('linear' in p) return linear(state, p.linear);
  if ('linearHeads' in p) return linearHeads(state, p.linearHeads);
  if ('lstm' in p) return lstm(state, p.lstm, p.layer ?? 0, p.bidirectional, gradients);
  if ('conv1d' in p) {
    const w = get(state, `${p.conv1d}.weight`);
    expectRank(w, 3, `${p.conv1d}.weight`);
    return [permute3d(w, [2, 1, 0]), get(state, `${p.conv1d}.bias`)];
  }
  if ('convTranspose1d' in p) {
    const w = get(state, `${p.convTranspose1d}.weight`);
    expectRank(w, 3, `${p.convTranspose1d}.weight`);
    return [permute3d(w, [2, 1, 0]), get(state, `${p.convTranspose1d}.bias`)];
  }
  if ('layerNorm' in p) return [get(state, `${p.layerNorm}.weight`), get(state, `${p.layerNorm}.bias`)];
  return multiheadAttention(state, p.multiheadAttention);
}

/** The pieces of a torch nn.TransformerEncoderLayer (post-norm) in TransformerEncoderLayer's weight order. */
export function torchEncoderLayer(prefix: string): TorchPiece[] {
  return [
    { multiheadAttention: `${prefix}.self_attn` },
    { layerNorm: `${prefix}.norm1` },
    { linear: `${prefix}.linear1` },
    { linear: `${prefix}.linear2` },
    { layerNorm: `${prefix}.norm2` },
  ];
}

/** The arrays one Tidal layer's weights take, in the layer's weight order. */
export function torchLayerArrays(state: TorchState, spec: TorchLayerImport, options: TorchImportOptions = {}): TorchArray[] {
  return spec.from.flatMap((p) => piece(state, p, options.gradients ?? false));
}

function checkShapes(model: tf.LayersModel, spec: TorchLayerImport, arrays: TorchArray[]): tf.LayerVariable[] {
  const weights = model.getLayer(spec.layer).weights;
  if (weights.length !== arrays.length) {
    throw new Error(`torch import: layer '${spec.layer}' has ${weights.length} weights, the torch pieces give ${arrays.length}`);
  }
  weights.forEach((w, i) => {
    if (w.shape.join(',') !== arrays[i].shape.join(',')) {
      throw new Error(`torch import: layer '${spec.layer}' weight ${w.originalName} is [${w.shape.join(', ')}], torch gives [${arrays[i].shape.join(', ')}]`);
    }
  });
  return weights;
}

/**
 * Writes the torch parameters into the model's layers. Every weight of the model must be covered
 * by exactly one import, so a forgotten layer is an error rather than a silent random init.
 */
export function loadTorchWeights(model: tf.LayersModel, state: TorchState, imports: readonly TorchLayerImport[]): void {
  const covered = new Set<string>();
  for (const spec of imports) {
    const arrays = torchLayerArrays(state, spec);
    const weights = checkShapes(model, spec, arrays);
    weights.forEach((w, i) => {
      if (covered.has(w.name)) throw new Error(`torch import: weight ${w.name} is imported twice`);
      covered.add(w.name);
      tf.tidy(() => {
        w.write(tf.tensor(arrays[i].data, arrays[i].shape));
      });
    });
  }
  const missing = model.weights.filter((w) => !covered.has(w.name)).map((w) => w.name);
  if (missing.length > 0) throw new Error(`torch import: no torch parameters for ${missing.join(', ')}`);
}

/**
 * The torch gradients rearranged like the model's trainable weights (same order), for comparing
 * with gradients computed in Tidal.
 */
export function torchGradientsLikeModel(
  model: tf.LayersModel,
  gradients: TorchState,
  imports: readonly TorchLayerImport[],
): TorchArray[] {
  const byName = new Map<string, TorchArray>();
  for (const spec of imports) {
    const arrays = torchLayerArrays(gradients, spec, { gradients: true });
    checkShapes(model, spec, arrays).forEach((w, i) => byName.set(w.name, arrays[i]));
  }
  return model.trainableWeights.map((w) => {
    const g = byName.get(w.name);
    if (!g) throw new Error(`torch import: no torch gradient for ${w.name}`);
    return g;
  });
}
