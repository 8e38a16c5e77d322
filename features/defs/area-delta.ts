import type { Feature } from '../types.ts';

export const areaDelta: Feature = {
  name: 'area_delta',
  description: 'running sum of time_delta * u_in: the volume let in so far, up to the valve\'s gain',
  needs: ['timeStep', 'uIn'],
  columns: ['area_delta'],
  binary: [false],
  compute(breath, [out]) {
    const t = breath.timeStep;
    let sum = 0;
    out[0] = 0;
    for (let r = 1; r < out.length; r++) out[r] = sum += (t[r] - t[r - 1]) * breath.uIn[r];
  },
};
