import type { Feature } from '../types.ts';

export const timeStepCumsum: Feature = {
  name: 'time_step_cumsum',
  description: 'running sum of time_step over the breath',
  needs: ['timeStep'],
  columns: ['time_step_cumsum'],
  binary: [false],
  compute(breath, [out]) {
    let sum = 0;
    for (let r = 0; r < out.length; r++) out[r] = sum += breath.timeStep[r];
  },
};
