import { lagFeature } from './shift.ts';

export const uOutLags = lagFeature('uOut', 'u_out of 1..4 rows earlier in the breath, 0 before its start', true);
