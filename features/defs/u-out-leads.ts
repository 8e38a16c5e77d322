import { leadFeature } from './shift.ts';

export const uOutLeads = leadFeature('uOut', 'u_out of 1..4 rows later in the breath, 0 after its end', true);
