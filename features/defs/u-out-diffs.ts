import { diffFeature } from './shift.ts';

export const uOutDiffs = diffFeature('uOut', 'u_out minus its 0-filled lag 1..4 (1 where the valve has just opened)');
