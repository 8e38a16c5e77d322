import type { Feature } from '../types.ts';

export const uInCumsum: Feature = {
  name: 'u_in_cumsum',
  description: 'running sum of u_in over the breath',
  needs: ['uIn'],
  columns: ['u_in_cumsum'],
  binary: [false],
  compute(breath, [out]) {
    let sum = 0;
    for (let r = 0; r < out.length; r++) out[r] = sum += breath.uIn[r];
  },
};
