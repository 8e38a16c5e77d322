import type { Feature } from '../types.ts';

export const timeDelta: Feature = {
  name: 'time_delta',
  description: 'time_step minus the previous row\'s (0 on the first row)',
  needs: ['timeStep'],
  columns: ['time_delta'],
  binary: [false],
  compute(breath, [out]) {
    const t = breath.timeStep;
    out[0] = 0;
    for (let r = 1; r < out.length; r++) out[r] = t[r] - t[r - 1];
  },
};
