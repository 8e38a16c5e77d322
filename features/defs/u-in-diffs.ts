import { diffFeature } from './shift.ts';

export const uInDiffs = diffFeature('uIn', 'u_in minus its 0-filled lag 1..4');
