import type { Feature } from '../types.ts';

export const area: Feature = {
  name: 'area',
  description: 'running sum of time_step * u_in (the public notebooks\' area)',
  needs: ['timeStep', 'uIn'],
  columns: ['area'],
  binary: [false],
  compute(breath, [out]) {
    let sum = 0;
    for (let r = 0; r < out.length; r++) out[r] = sum += breath.timeStep[r] * breath.uIn[r];
  },
};
