import { ROWS_PER_BREATH, type BreathTable } from '../dataset/index.ts';
import type { Breath } from './types.ts';

export function allocateBreath(): Breath {
  return {
    R: 0,
    C: 0,
    timeStep: new Float64Array(ROWS_PER_BREATH),
    uIn: new Float64Array(ROWS_PER_BREATH),
    uOut: new Uint8Array(ROWS_PER_BREATH),
  };
}

/** Copies breath b of the table into `into` (reused across breaths to avoid allocation). */
export function readBreath(table: BreathTable, b: number, into: Breath = allocateBreath()): Breath {
  const base = b * ROWS_PER_BREATH;
  into.R = table.R[b];
  into.C = table.C[b];
  for (let r = 0; r < ROWS_PER_BREATH; r++) {
    into.timeStep[r] = table.timeStep[base + r];
    into.uIn[r] = table.uIn[base + r];
    into.uOut[r] = table.uOut[base + r];
  }
  return into;
}
