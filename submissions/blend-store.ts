/**
 * The cross-validated blend's out-of-fold predictions, kept at runs/NAME/blend/oof.arrow (one
 * float32 `pressure` per train row, breath-table order) so reports can score the blend per breath
 * without refitting it. Not under predictions/: every folder there is read as a model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPredictionColumn, writePredictionColumn } from './prediction-store.ts';

export function blendOofPath(runDir: string): string {
  return join(runDir, 'blend', 'oof.arrow');
}

export function writeBlendOof(runDir: string, oof: Float32Array): void {
  writePredictionColumn(blendOofPath(runDir), oof);
}

/** The saved blend OOF, or null when the run has not written one. */
export function readBlendOof(runDir: string): Float32Array | null {
  const path = blendOofPath(runDir);
  return existsSync(path) ? readPredictionColumn(path) : null;
}
