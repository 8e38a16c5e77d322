/** OOF scores of each model and blend, overall and per (R, C) pair, as one arquero table. */
import * as aq from 'arquero';
import type { BreathTable } from '../dataset/index.ts';
import { inspiratoryMaeByRc, type RcScore } from './inspiratory-mae.ts';

export interface ScoredPredictions {
  /** Row label: a model id or a blend such as 'blend:weights'. */
  name: string;
  /** One value per train row, in breath-table order. */
  oof: ArrayLike<number>;
}

/** Columns: name, then `all` and one column per (R, C) pair present, each the inspiratory MAE. */
export function oofReport(entries: ScoredPredictions[], train: BreathTable): aq.ColumnTable {
  const target = train.pressure;
  if (!target) throw new Error('oofReport: the train table has no pressure column');
  const columns: Record<string, unknown[]> = { name: [] };
  for (const entry of entries) {
    columns.name.push(entry.name);
    for (const score of inspiratoryMaeByRc(entry.oof, target, train)) {
      (columns[score.pair] ??= []).push(score.mae);
    }
  }
  return aq.table(columns);
}

export function formatReport(table: aq.ColumnTable): string {
  return aq.toMarkdown(table, { maxdigits: 4 });
}

/** A score list (overall, then per pair) as a Markdown table with columns pair, rows, mae. */
export function formatScores(scores: RcScore[]): string {
  return aq.toMarkdown(
    aq.table({ pair: scores.map((s) => s.pair), rows: scores.map((s) => s.rows), mae: scores.map((s) => s.mae) }),
    { maxdigits: 5 },
  );
}
