/**
 * The pseudo-labels a round after the first trains on: one label and one loss weight per test row
 * (test breath-table order), as an Arrow IPC file with float32 columns `pressure` and `weight`.
 * A row outside `pseudoLabel.rows` keeps its label but weighs 0, so no loss ever reads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { writeFileAtomic } from '../core/index.ts';
import { ROWS_PER_BREATH } from '../dataset/index.ts';
import type { PseudoLabelConfig } from './config.ts';
import type { FoldData } from '../models/index.ts';

export interface PseudoLabels {
  pressure: Float32Array;
  weight: Float32Array;
}

/** Labels and weights of the test rows from round 1's predictions (`labels`, one per test row). */
export function pseudoLabelsOf(labels: ArrayLike<number>, uOut: ArrayLike<number>, settings: Pick<PseudoLabelConfig, 'rows' | 'weight'>): PseudoLabels {
  if (labels.length !== uOut.length) throw new Error(`pseudo-labels: ${labels.length} predictions for ${uOut.length} test rows`);
  const pressure = Float32Array.from(labels);
  const weight = new Float32Array(labels.length);
  for (let r = 0; r < labels.length; r++) {
    if (!Number.isFinite(pressure[r])) throw new Error(`pseudo-labels: test row ${r} has no finite prediction (${labels[r]})`);
    weight[r] = settings.rows === 'all' || uOut[r] === 0 ? settings.weight : 0;
  }
  return { pressure, weight };
}

export function writePseudoLabels(path: string, labels: PseudoLabels): void {
  writeFileAtomic(path, tableToIPC(tableFromArrays({ pressure: labels.pressure, weight: labels.weight }), 'file'));
}

export function readPseudoLabels(path: string): PseudoLabels {
  if (!existsSync(path)) throw new Error(`${path}: missing (the pseudo-label stage writes it after round 1)`);
  const table = tableFromIPC(readFileSync(path));
  const column = (name: string) => {
    const values = table.getChild(name)?.toArray();
    if (!(values instanceof Float32Array)) throw new Error(`${path}: no float32 column '${name}'`);
    return values;
  };
  const labels = { pressure: column('pressure'), weight: column('weight') };
  if (labels.pressure.length % ROWS_PER_BREATH !== 0) throw new Error(`${path}: ${labels.pressure.length} rows is not a whole number of breaths`);
  return labels;
}

/** One view over a and b when b directly follows a in the same buffer (scaled into one array). */
function adjacentView(a: Float32Array, b: Float32Array): Float32Array | null {
  if (a.buffer !== b.buffer || a.byteOffset + a.byteLength !== b.byteOffset) return null;
  return new Float32Array(a.buffer, a.byteOffset, a.length + b.length);
}

/**
 * The train breaths followed by the test breaths as one data set (the features without a copy
 * when the test features directly follow the train features in one buffer), test rows labelled and weighted
 * by `labels`; train rows weigh 1. Breath b of the test set is breath train.nBreaths + b here.
 */
export function withPseudoLabels(train: FoldData, test: { x: Float32Array; mask: FoldData['mask']; nBreaths: number }, labels: PseudoLabels): FoldData {
  const testRows = test.nBreaths * ROWS_PER_BREATH;
  if (labels.pressure.length !== testRows) throw new Error(`pseudo-labels: ${labels.pressure.length} labels for ${testRows} test rows`);
  const trainRows = train.nBreaths * ROWS_PER_BREATH;
  const concat = <T extends Float32Array | Uint8Array>(a: T, b: T | ArrayLike<number>, n: number): T => {
    const out = new (a.constructor as new (n: number) => T)(a.length + n);
    out.set(a);
    out.set(b as ArrayLike<number>, a.length);
    return out;
  };
  const mask = train.mask instanceof Float32Array ? train.mask : Float32Array.from(train.mask);
  const weight = new Float32Array(trainRows + testRows).fill(1);
  weight.set(labels.weight, trainRows);
  return {
    x: adjacentView(train.x, test.x) ?? concat(train.x, test.x, test.x.length),
    mask: concat(mask, test.mask, testRows),
    target: concat(train.target, labels.pressure, testRows),
    weight,
    nBreaths: train.nBreaths + test.nBreaths,
    nFeatures: train.nFeatures,
    featureNames: train.featureNames,
  };
}
