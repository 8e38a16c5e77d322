/** Losses by name; a duplicate name throws. Each output kind has a default loss. */
import { createRegistry } from '../../core/index.ts';
import type { OutputKind } from '../model-definition.ts';
import { laplaceNll } from './laplace-nll.ts';
import { levelsCrossEntropy } from './levels-cross-entropy.ts';
import { mae } from './mae.ts';
import { maeWithDiffs } from './mae-with-diffs.ts';
import { maskedMae } from './masked-mae.ts';
import { multiTargetMae } from './multi-target-mae.ts';
import { twoHeadMae } from './two-head-mae.ts';
import type { LossDefinition } from './types.ts';

export const lossRegistry = createRegistry<LossDefinition>('loss');

export function registerLoss(definition: LossDefinition): void {
  lossRegistry.register(definition);
}

export function getLoss(name: string): LossDefinition {
  return lossRegistry.get(name);
}

export function listLosses(): LossDefinition[] {
  return lossRegistry.list();
}

export const DEFAULT_LOSS: Record<OutputKind, string> = {
  pressure: 'masked-mae',
  'two-head': 'two-head-mae',
  'multi-target': 'multi-target-mae',
  levels: 'levels-cross-entropy',
};

/** The loss `name` (or the output kind's default), checked against the model's output kind. */
export function lossFor(outputKind: OutputKind, name?: string | null): LossDefinition {
  const definition = getLoss(name ?? DEFAULT_LOSS[outputKind]);
  if (!definition.outputKinds.includes(outputKind)) {
    throw new Error(
      `loss '${definition.name}' does not fit output kind '${outputKind}' (it fits ${definition.outputKinds.join(', ')})`,
    );
  }
  return definition;
}

for (const definition of [maskedMae, mae, twoHeadMae, maeWithDiffs, laplaceNll, multiTargetMae, levelsCrossEntropy]) {
  registerLoss(definition);
}
