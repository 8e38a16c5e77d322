export type { Loss, LossDefinition, LossTargets } from './types.ts';
export { maskedMean, channel } from './masked-mean.ts';
export { maskedMae } from './masked-mae.ts';
export { twoHeadMae } from './two-head-mae.ts';
export { maeWithDiffs, DIFF_LAGS } from './mae-with-diffs.ts';
export { laplaceNll } from './laplace-nll.ts';
export { multiTargetMae } from './multi-target-mae.ts';
export { levelsCrossEntropy, targetLevels } from './levels-cross-entropy.ts';
export { lossRegistry, registerLoss, getLoss, listLosses, lossFor, DEFAULT_LOSS } from './registry.ts';
