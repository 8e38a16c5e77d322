import type { Feature } from '../types.ts';

const WINDOW = 15;

export const uInRolling: Feature = {
  name: 'u_in_rolling',
  description: `sum, min, max and mean of u_in over the last ${WINDOW} rows of the breath (fewer at its start)`,
  needs: ['uIn'],
  columns: ['sum', 'min', 'max', 'mean'].map((stat) => `u_in_rolling${WINDOW}_${stat}`),
  binary: [false, false, false, false],
  compute(breath, [sum, min, max, mean]) {
    const u = breath.uIn;
    for (let r = 0; r < u.length; r++) {
      const from = Math.max(0, r - WINDOW + 1);
      let s = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = from; i <= r; i++) {
        const v = u[i];
        s += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      sum[r] = s;
      min[r] = lo;
      max[r] = hi;
      mean[r] = s / (r - from + 1);
    }
  },
};
