/** One-hot encodings of the lung settings: R, C and their 9 pairs (R-major, as rcPairIndex). */
import { C_VALUES, R_VALUES, rcPairIndex, rcPairName } from '../../dataset/index.ts';
import type { Feature } from '../types.ts';

function oneHot(out: Float32Array[], hot: number): void {
  for (let k = 0; k < out.length; k++) out[k].fill(k === hot ? 1 : 0);
}

export const rOneHot: Feature = {
  name: 'R_onehot',
  description: 'one-hot R (5, 20, 50)',
  needs: ['R'],
  columns: R_VALUES.map((r) => `R_${r}`),
  binary: R_VALUES.map(() => true),
  compute(breath, out) {
    oneHot(out, R_VALUES.indexOf(breath.R as 5));
  },
};

export const cOneHot: Feature = {
  name: 'C_onehot',
  description: 'one-hot C (10, 20, 50)',
  needs: ['C'],
  columns: C_VALUES.map((c) => `C_${c}`),
  binary: C_VALUES.map(() => true),
  compute(breath, out) {
    oneHot(out, C_VALUES.indexOf(breath.C as 10));
  },
};

const PAIRS = Array.from({ length: 9 }, (_, i) => rcPairName(i));

export const rcOneHot: Feature = {
  name: 'R_C_onehot',
  description: 'one-hot (R, C) pair, 9 columns',
  needs: ['R', 'C'],
  columns: PAIRS.map((pair) => `R_C_${pair}`),
  binary: PAIRS.map(() => true),
  compute(breath, out) {
    oneHot(out, rcPairIndex(breath.R, breath.C));
  },
};
