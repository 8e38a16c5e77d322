import type { Feature } from '../types.ts';

export const uInCummean: Feature = {
  name: 'u_in_cummean',
  description: 'running mean of u_in over the breath so far',
  needs: ['uIn'],
  columns: ['u_in_cummean'],
  binary: [false],
  compute(breath, [out]) {
    let sum = 0;
    for (let r = 0; r < out.length; r++) {
      sum += breath.uIn[r];
      out[r] = sum / (r + 1);
    }
  },
};
