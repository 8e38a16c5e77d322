import { leadFeature } from './shift.ts';

export const uInLeads = leadFeature('uIn', 'u_in of 1..4 rows later in the breath, 0 after its end', false);
