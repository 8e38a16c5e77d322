import type { Feature } from '../types.ts';

export const cross2: Feature = {
  name: 'cross2',
  description: 'time_step * u_out: time during expiration, 0 during inspiration',
  needs: ['timeStep', 'uOut'],
  columns: ['cross2'],
  binary: [false],
  compute(breath, [out]) {
    for (let r = 0; r < out.length; r++) out[r] = breath.timeStep[r] * breath.uOut[r];
  },
};
