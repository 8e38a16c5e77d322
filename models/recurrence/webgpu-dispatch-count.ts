/**
 * Counts what the tfjs webgpu backend sends to the GPU while `fn` runs: compute dispatches (by
 * program), queue submits and buffer read-backs. For benchmarks and tests: a dispatch-bound model
 * (small recurrent steps) is as fast as its dispatch count per batch is low.
 */
import * as tf from '@tensorflow/tfjs';

export interface DispatchCount {
  dispatches: number;
  submits: number;
  readbacks: number;
  /** Dispatches per program class (e.g. LstmForwardStep, MatMulPackedProgram). */
  byProgram: Record<string, number>;
}

type Method = (...args: unknown[]) => unknown;

/** Runs `fn` on the current webgpu backend and counts its GPU work (awaits `fn`). */
export async function countWebGpuDispatches<T>(fn: () => T | Promise<T>): Promise<{ result: T; count: DispatchCount }> {
  if (tf.getBackend() !== 'webgpu') throw new Error(`countWebGpuDispatches needs the webgpu backend, not '${tf.getBackend()}'`);
  const backend = tf.backend() as unknown as Record<string, Method>;
  const count: DispatchCount = { dispatches: 0, submits: 0, readbacks: 0, byProgram: {} };
  const wrap = (name: string, onCall: (args: unknown[]) => void) => {
    const original = backend[name];
    backend[name] = function (this: unknown, ...args: unknown[]) {
      onCall(args);
      return original.apply(this, args);
    };
  };
  wrap('recordAndSubmit', (args) => {
    count.dispatches++;
    const program = (args[0] as object).constructor.name;
    count.byProgram[program] = (count.byProgram[program] ?? 0) + 1;
  });
  wrap('submitQueue', () => count.submits++);
  wrap('getBufferData', () => count.readbacks++);
  try {
    const result = await fn();
    return { result, count };
  } finally {
    // The instance's own properties shadowed the prototype's methods: removing them restores it.
    for (const name of ['recordAndSubmit', 'submitQueue', 'getBufferData']) delete backend[name];
  }
}
