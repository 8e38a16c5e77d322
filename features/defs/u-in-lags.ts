import { lagFeature } from './shift.ts';

export const uInLags = lagFeature('uIn', 'u_in of 1..4 rows earlier in the breath, 0 before its start', false);
