import type { Feature } from '../types.ts';

const HALF_LIFE = 9;
/** Weight kept by older rows per step: a row HALF_LIFE steps back counts half. */
const DECAY = Math.pow(0.5, 1 / HALF_LIFE);

export const uInEwm: Feature = {
  name: 'u_in_ewm',
  description: `exponentially weighted mean of u_in, half-life ${HALF_LIFE} rows (pandas ewm, adjust=True)`,
  needs: ['uIn'],
  columns: [`u_in_ewm${HALF_LIFE}`],
  binary: [false],
  compute(breath, [out]) {
    // adjust=True divides by the weights seen so far, so early rows are not pulled towards 0.
    let weighted = 0;
    let weights = 0;
    for (let r = 0; r < out.length; r++) {
      weighted = weighted * DECAY + breath.uIn[r];
      weights = weights * DECAY + 1;
      out[r] = weighted / weights;
    }
  },
};
