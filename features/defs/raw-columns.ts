/** The raw inputs as columns: per-row signals as they are, per-breath R and C repeated on every row. */
import type { Feature } from '../types.ts';

export const timeStep: Feature = {
  name: 'time_step',
  description: 'seconds since the start of the breath',
  needs: ['timeStep'],
  columns: ['time_step'],
  binary: [false],
  compute(breath, [out]) {
    for (let r = 0; r < out.length; r++) out[r] = breath.timeStep[r];
  },
};

export const uIn: Feature = {
  name: 'u_in',
  description: 'inspiratory valve opening, 0..100',
  needs: ['uIn'],
  columns: ['u_in'],
  binary: [false],
  compute(breath, [out]) {
    for (let r = 0; r < out.length; r++) out[r] = breath.uIn[r];
  },
};

export const uOut: Feature = {
  name: 'u_out',
  description: 'expiratory valve, 0 closed (inspiration) or 1 open',
  needs: ['uOut'],
  columns: ['u_out'],
  binary: [true],
  compute(breath, [out]) {
    for (let r = 0; r < out.length; r++) out[r] = breath.uOut[r];
  },
};

export const resistance: Feature = {
  name: 'R',
  description: 'airway resistance R as a number, cmH2O/L/s',
  needs: ['R'],
  columns: ['R'],
  binary: [false],
  compute(breath, [out]) {
    out.fill(breath.R);
  },
};

export const compliance: Feature = {
  name: 'C',
  description: 'lung compliance C as a number, mL/cmH2O',
  needs: ['C'],
  columns: ['C'],
  binary: [false],
  compute(breath, [out]) {
    out.fill(breath.C);
  },
};
