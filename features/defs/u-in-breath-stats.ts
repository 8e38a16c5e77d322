import type { Feature } from '../types.ts';

export const uInBreathStats: Feature = {
  name: 'u_in_breath_stats',
  description: 'max and mean of u_in over the whole breath, and each minus u_in',
  needs: ['uIn'],
  columns: ['u_in_max', 'u_in_mean', 'u_in_diffmax', 'u_in_diffmean'],
  binary: [false, false, false, false],
  compute(breath, [max, mean, diffMax, diffMean]) {
    const u = breath.uIn;
    let top = -Infinity;
    let sum = 0;
    for (let r = 0; r < u.length; r++) {
      if (u[r] > top) top = u[r];
      sum += u[r];
    }
    const avg = sum / u.length;
    for (let r = 0; r < u.length; r++) {
      max[r] = top;
      mean[r] = avg;
      diffMax[r] = top - u[r];
      diffMean[r] = avg - u[r];
    }
  },
};
