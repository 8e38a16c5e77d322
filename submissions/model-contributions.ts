/**
 * What each model adds to a blend: the blend refitted without it, cross-validated exactly as the
 * full blend (crossValidatedBlend over the same folds), scored out of fold. A model whose removal
 * leaves the blend's MAE where it was adds nothing; the larger the rise, the more it adds.
 */
import type { BreathTable } from '../dataset/index.ts';
import type { BlendMethod } from './blend-methods/index.ts';
import { crossValidatedBlend } from './cross-validated-blend.ts';
import { inspiratoryMaeFromUOut } from './inspiratory-mae.ts';

export interface ModelContribution {
  model: string;
  /** Out-of-fold inspiratory MAE of the blend refitted on every other model. */
  blendOofMaeWithout: number;
  /** blendOofMaeWithout minus the full blend's: what removing the model costs (negative: the blend is better without it). */
  cost: number;
}

/**
 * One entry per model, in the order given. `models` are each model's OOF predictions per train row
 * (at least 2 models); `fullBlendOofMae` is the full blend's OOF MAE from the same fitting.
 */
export function modelContributions(
  method: BlendMethod,
  models: { name: string; oof: Float32Array }[],
  train: BreathTable,
  breathFold: Int32Array,
  fullBlendOofMae: number,
): ModelContribution[] {
  if (models.length < 2) throw new Error(`modelContributions: a blend without one model needs at least 2 models, got ${models.length}`);
  if (!train.pressure) throw new Error('modelContributions: the train table has no pressure column');
  const oofs = models.map((m) => m.oof);
  return models.map(({ name }, left) => {
    const others = oofs.filter((_, m) => m !== left);
    const blend = crossValidatedBlend(method, others, train, breathFold);
    const without = inspiratoryMaeFromUOut(blend.oof, train.pressure!, train.uOut);
    return { model: name, blendOofMaeWithout: without, cost: without - fullBlendOofMae };
  });
}

/** A Markdown table of the contributions next to the full blend's MAE (report.md). */
export function formatContributions(contributions: ModelContribution[], fullBlendOofMae: number): string {
  const fmt = (x: number) => x.toFixed(4);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  return [
    '| blend | OOF MAE | cost of leaving the model out |',
    '|---|---|---|',
    `| all models | ${fmt(fullBlendOofMae)} | |`,
    ...contributions.map((c) => `| without ${c.model} | ${fmt(c.blendOofMaeWithout)} | ${signed(c.cost)} |`),
  ].join('\n');
}
