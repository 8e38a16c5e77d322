/**
 * The cross-validated blend's out-of-fold predictions (one float32 `pressure` per train row,
 * breath-table order), kept so reports can score the blend per breath without refitting it.
 */
import { existsSync } from 'node:fs';
import { RunCatalog } from '../core/index.ts';
import { readPredictionColumn, writePredictionColumn } from './prediction-store.ts';

export function writeBlendOof(runDir: string, oof: Float32Array): void {
  writePredictionColumn(new RunCatalog(runDir).blendOof, oof);
}

/** The saved blend OOF, or null when the run has not written one. */
export function readBlendOof(runDir: string): Float32Array | null {
  const path = new RunCatalog(runDir).blendOof;
  return existsSync(path) ? readPredictionColumn(path) : null;
}
