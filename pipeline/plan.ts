/**
 * The run plan: the whole config checked in one pass before any stage runs, with every name
 * looked up in its registry and every bad value reported at its path (`models[1].recipe.epochz`),
 * so a typo costs seconds, not the hours of training before the stage that would have read it.
 */
import { existsSync, statSync } from 'node:fs';
import { featureRegistry, scalerRegistry } from '../features/index.ts';
import { getModel, listModels, lossFor, recipeProblems, resolveRecipe, type ModelDefinition, type RecipeInput, type TrainingRecipe } from '../models/index.ts';
import { blendMethods, foldCombiners } from '../submissions/index.ts';
import { ConfigError, modelEntryId, type ModelEntryConfig, type PseudoLabelConfig, type RunConfig } from './config.ts';

export interface PlannedModel {
  /** The entry's label in the run (folder names, reports). */
  id: string;
  definition: ModelDefinition;
  featureSet: string;
  /** The size's config with the entry's overrides on top. */
  config: object;
  /** The run's recipe with the entry's overrides on top, as written (the job key hashes this). */
  recipeInput: RecipeInput;
  recipe: TrainingRecipe;
}

/** The pseudo-labelled second round: the same models, each with its round-2 recipe. */
export interface PseudoLabelPlan {
  settings: PseudoLabelConfig;
  models: PlannedModel[];
}

export interface RunPlan {
  config: RunConfig;
  models: PlannedModel[];
  /** Set when the config has `pseudoLabel`. */
  pseudoLabel?: PseudoLabelPlan;
}

/**
 * The run's recipe with the entry's overrides on top; nested objects merge one level deep, except
 * that an object of another `kind` (a cosine schedule over a plateau one) replaces the run's whole.
 */
export function mergeRecipe(shared: Record<string, unknown>, entry: Record<string, unknown>): RecipeInput {
  const merged: Record<string, unknown> = { ...shared };
  for (const [key, value] of Object.entries(entry)) {
    const prior = merged[key];
    const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
    const merges = isObject(prior) && isObject(value) && (value.kind === undefined || value.kind === prior.kind);
    merged[key] = merges ? { ...prior, ...value } : value;
  }
  return merged as RecipeInput;
}

function planModel(entry: ModelEntryConfig, at: string, shared: Record<string, unknown>, problems: string[]): PlannedModel | null {
  if (!listModels().includes(entry.name)) {
    problems.push(`${at}.name: unknown model '${entry.name}' (registered: ${listModels().join(', ')})`);
    return null;
  }
  const definition = getModel(entry.name);
  const featureSet = entry.featureSet ?? definition.featureSet;
  if (!featureRegistry.listSets().some((set) => set.name === featureSet)) {
    problems.push(`${at}.featureSet: unknown feature set '${featureSet}' (registered: ${featureRegistry.listSets().map((s) => s.name).join(', ')})`);
  }
  const base = definition[entry.size] as Record<string, unknown>;
  const unknownKeys = Object.keys(entry.config).filter((key) => !Object.hasOwn(base, key));
  for (const key of unknownKeys) problems.push(`${at}.config.${key}: not a key of ${entry.name}'s config (keys: ${Object.keys(base).join(', ')})`);
  const config = { ...base, ...entry.config };
  if (unknownKeys.length === 0) {
    try {
      definition.check(config);
    } catch (err) {
      problems.push(`${at}.config: ${(err as Error).message}`);
    }
  }
  // A problem in a key the entry overrides is the entry's; the rest were reported at `recipe`.
  const recipeInput = mergeRecipe(shared, entry.recipe);
  const own = recipeProblems(recipeInput).filter((p) => Object.hasOwn(entry.recipe, p.path.split('.')[0]));
  for (const p of own) problems.push(`${at}.recipe.${p.path} ${p.message}`);
  if (recipeProblems(recipeInput).length > 0) return null;
  const recipe = resolveRecipe(recipeInput);
  try {
    if (unknownKeys.length === 0) lossFor(definition.outputKind(config as never), recipe.loss);
  } catch (err) {
    problems.push(`${Object.hasOwn(entry.recipe, 'loss') ? `${at}.recipe` : 'recipe'}.loss: ${(err as Error).message}`);
  }
  return { id: modelEntryId(entry), definition, featureSet, config, recipeInput, recipe };
}

/** Checks every name and value of a parsed config; throws one ConfigError listing every problem. */
export function planRun(config: RunConfig, source: string): RunPlan {
  const problems: string[] = [];
  for (const p of recipeProblems(config.recipe)) problems.push(`recipe.${p.path} ${p.message}`);
  const models = config.models.map((entry, i) => planModel(entry, `models[${i}]`, config.recipe, problems));
  if (!foldCombiners.names().includes(config.blend.folds)) {
    problems.push(`blend.folds: unknown fold combiner '${config.blend.folds}' (registered: ${foldCombiners.names().join(', ')})`);
  }
  if (!blendMethods.names().includes(config.blend.models)) {
    problems.push(`blend.models: unknown blend method '${config.blend.models}' (registered: ${blendMethods.names().join(', ')})`);
  }
  if (!scalerRegistry.has(config.scaler)) problems.push(`scaler: unknown scaler '${config.scaler}' (registered: ${scalerRegistry.names().join(', ')})`);
  const foldsFile = config.folds.file;
  if (foldsFile && !(existsSync(foldsFile) && statSync(foldsFile).isFile())) problems.push(`folds.file: ${foldsFile} is not a file`);
  const pseudoLabel = config.pseudoLabel ? planPseudoLabel(config.pseudoLabel, models, problems) : undefined;
  if (problems.length > 0) throw new ConfigError(source, problems);
  return pseudoLabel ? { config, models: models as PlannedModel[], pseudoLabel } : { config, models: models as PlannedModel[] };
}

/** Round 2's recipe of each model: its round-1 recipe with `pseudoLabel.recipe` on top. */
function planPseudoLabel(settings: PseudoLabelConfig, models: (PlannedModel | null)[], problems: string[]): PseudoLabelPlan {
  const reported = new Set<string>();
  const round2: PlannedModel[] = [];
  for (const model of models) {
    if (!model) continue;
    const recipeInput = mergeRecipe(model.recipeInput as Record<string, unknown>, settings.recipe);
    const found = recipeProblems(recipeInput);
    for (const p of found.filter((p) => Object.hasOwn(settings.recipe, p.path.split('.')[0]))) {
      const line = `pseudoLabel.recipe.${p.path} ${p.message}`;
      if (!reported.has(line)) problems.push(line);
      reported.add(line);
    }
    if (found.length > 0) continue;
    const recipe = resolveRecipe(recipeInput);
    try {
      lossFor(model.definition.outputKind(model.config as never), recipe.loss);
    } catch (err) {
      problems.push(`pseudoLabel.recipe.loss (${model.id}): ${(err as Error).message}`);
    }
    round2.push({ ...model, recipeInput, recipe });
  }
  return { settings, models: round2 };
}
