import type { KernelOut } from '../native/index.ts';

/**
 * Shapes are row-major; x and h use the model's [batch, time, features] layout (no transposes).
 * The native kernels write results into the caller's arrays where `out` gives them (views of
 * tensors in the wasm heap) and honour hStride; the float64 reference (reference-js.ts) does neither.
 */
export interface LstmForwardArgs extends KernelOut<LstmForwardResult> {
  batch: number; time: number; inputSize: number; units: number;
  x: Float32Array;               // [batch, time, inputSize]
  kernel: Float32Array;          // [inputSize, 4*units], gate blocks in tfjs/Keras order i, f, c, o
  recurrentKernel: Float32Array; // [units, 4*units]
  bias: Float32Array;            // [4*units]
  h0: Float32Array | null;       // [batch, units], null = zeros
  c0: Float32Array | null;       // [batch, units], null = zeros
  reverse: boolean;              // walk t = time-1 .. 0; outputs stay in input time order
  hStride?: number;              // floats between rows of h and dh (default units): a direction of a
                                 // bidirectional layer writes into its merged output; h and dh then
                                 // hold (batch * time - 1) * hStride + units floats
}
export interface LstmForwardResult {
  h: Float32Array;     // [batch, time, units], hidden state at every step, input time order
  hLast: Float32Array; // [batch, units] state after the last processed step
  cLast: Float32Array; // [batch, units]
  cache: Float32Array; // whatever the backward pass needs (gate activations, cell states)
}
export interface LstmBackwardArgs extends Omit<LstmForwardArgs, 'out'>, KernelOut<LstmBackwardResult> {
  cache: Float32Array;       // from the forward call with the same args
  h: Float32Array;           // forward result h
  dh: Float32Array;          // [batch, time, units] gradient w.r.t. h (zeros where unused)
  dhLast: Float32Array | null; // [batch, units] extra gradient w.r.t. hLast
  dcLast: Float32Array | null;
  /** Add x's gradient into out.dx (a bidirectional layer's other direction's) instead of overwriting it. */
  accumulateDx?: boolean;
}
export interface LstmBackwardResult {
  dx: Float32Array; dKernel: Float32Array; dRecurrentKernel: Float32Array; dBias: Float32Array;
  dh0: Float32Array; dc0: Float32Array;
}
// GRU: same shapes with 3*units gate blocks in tfjs-layers' GRU order and its exact formula
// (read @tensorflow/tfjs-layers' GRUCell source in node_modules: which gate the reset applies to,
// bias layout), no cell state (c0/cLast/dc0 absent).
export interface GruForwardArgs extends KernelOut<GruForwardResult> { batch: number; time: number; inputSize: number; units: number;
  x: Float32Array; kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array;
  h0: Float32Array | null; reverse: boolean; hStride?: number; }
export interface GruForwardResult { h: Float32Array; hLast: Float32Array; cache: Float32Array; }
export interface GruBackwardArgs extends Omit<GruForwardArgs, 'out'>, KernelOut<GruBackwardResult> { cache: Float32Array; h: Float32Array;
  dh: Float32Array; dhLast: Float32Array | null; accumulateDx?: boolean; }
export interface GruBackwardResult { dx: Float32Array; dKernel: Float32Array;
  dRecurrentKernel: Float32Array; dBias: Float32Array; dh0: Float32Array; }
export interface RecurrenceKernels {
  name: string; // e.g. 'native-avx2' or 'js'
  lstmForward(a: LstmForwardArgs): LstmForwardResult;
  lstmBackward(a: LstmBackwardArgs): LstmBackwardResult;
  gruForward(a: GruForwardArgs): GruForwardResult;
  gruBackward(a: GruBackwardArgs): GruBackwardResult;
}
