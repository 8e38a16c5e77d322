import type { Feature } from '../types.ts';

export const cross: Feature = {
  name: 'cross',
  description: 'u_in * u_out: u_in during expiration, 0 during inspiration',
  needs: ['uIn', 'uOut'],
  columns: ['cross'],
  binary: [false],
  compute(breath, [out]) {
    for (let r = 0; r < out.length; r++) out[r] = breath.uIn[r] * breath.uOut[r];
  },
};
