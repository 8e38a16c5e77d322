/**
 * The one place features and feature sets are registered. Adding a feature: write its file in
 * defs/, add one `registry.register(...)` line below. `full` picks it up automatically.
 */
import { createFeatureRegistry } from './registry.ts';
import { area } from './defs/area.ts';
import { areaDelta } from './defs/area-delta.ts';
import { cross } from './defs/cross.ts';
import { cross2 } from './defs/cross2.ts';
import { cOneHot, rOneHot, rcOneHot } from './defs/one-hots.ts';
import { compliance, resistance, timeStep, uIn, uOut } from './defs/raw-columns.ts';
import { timeDelta } from './defs/time-delta.ts';
import { timeStepCumsum } from './defs/time-step-cumsum.ts';
import { uInBreathStats } from './defs/u-in-breath-stats.ts';
import { uInCummean } from './defs/u-in-cummean.ts';
import { uInCumsum } from './defs/u-in-cumsum.ts';
import { uInDiffs } from './defs/u-in-diffs.ts';
import { uInEwm } from './defs/u-in-ewm.ts';
import { uInLags } from './defs/u-in-lags.ts';
import { uInLeads } from './defs/u-in-leads.ts';
import { uInRolling } from './defs/u-in-rolling.ts';
import { uOutDiffs } from './defs/u-out-diffs.ts';
import { uOutLags } from './defs/u-out-lags.ts';
import { uOutLeads } from './defs/u-out-leads.ts';

export const featureRegistry = createFeatureRegistry();

featureRegistry.register(timeStep);
featureRegistry.register(uIn);
featureRegistry.register(uOut);
featureRegistry.register(resistance);
featureRegistry.register(compliance);
featureRegistry.register(rOneHot);
featureRegistry.register(cOneHot);
featureRegistry.register(rcOneHot);
featureRegistry.register(timeDelta);
featureRegistry.register(timeStepCumsum);
featureRegistry.register(uInCumsum);
featureRegistry.register(uInCummean);
featureRegistry.register(area);
featureRegistry.register(areaDelta);
featureRegistry.register(uInLags);
featureRegistry.register(uInLeads);
featureRegistry.register(uInDiffs);
featureRegistry.register(uOutLags);
featureRegistry.register(uOutLeads);
featureRegistry.register(uOutDiffs);
featureRegistry.register(uInBreathStats);
featureRegistry.register(cross);
featureRegistry.register(cross2);
featureRegistry.register(uInEwm);
featureRegistry.register(uInRolling);

featureRegistry.registerSet({
  name: 'raw',
  description: 'the 9 raw inputs of the 1st-place raw-data LSTM: time_step, u_in, u_out, one-hot R and C',
  features: ['time_step', 'u_in', 'u_out', 'R_onehot', 'C_onehot'],
});

featureRegistry.registerSet({
  name: 'public',
  description: 'the public BiLSTM notebooks\' set: area, cumsum, u_in/u_out lags, leads and diffs, breath max/mean, cross, one-hots',
  features: [
    'time_step', 'u_in', 'u_out', 'area', 'u_in_cumsum', 'u_in_lags', 'u_in_leads', 'u_out_lags', 'u_out_leads',
    'u_in_breath_stats', 'u_in_diffs', 'u_out_diffs', 'cross', 'cross2', 'R_onehot', 'C_onehot', 'R_C_onehot',
  ],
});

featureRegistry.registerSet({
  name: 'first-place-hybrid',
  description:
    'the 37 inputs of the 1st-place LSTM-CNN-Transformer (Functions.py add_features): cumsum, area, u_in lags, leads, diffs and breath stats, one-hots',
  features: [
    'time_step', 'u_in', 'u_out', 'u_in_cumsum', 'time_delta', 'area_delta', 'u_in_lags', 'u_in_leads',
    'u_in_breath_stats', 'u_in_diffs', 'R_onehot', 'C_onehot', 'R_C_onehot',
  ],
});

featureRegistry.registerSet({
  name: 'full',
  description: 'every registered feature',
  features: featureRegistry.list().map((f) => f.name),
});
