/**
 * The independent check: a sample of the features computed a second, straightforward way with
 * arquero window operations (group by breath, order by time, lag/lead/rolling frames) on rows
 * given in shuffled order, compared with the feature stage to 1e-5 (relative above 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { createRng } from '../../core/index.ts';
import { computeColumns } from '../../features/index.ts';
import { sampleTrain } from './sample-data.ts';

// arquero's expression functions are untyped row proxies.
type Row = Record<string, number>;
const op = aq.op as unknown as Record<string, (...args: unknown[]) => number>;

const table = sampleTrain(300, 11);
const rows = table.nBreaths * ROWS_PER_BREATH;

function shuffledRows(): aq.ColumnTable {
  const order = Array.from({ length: rows }, (_, i) => i);
  const rng = createRng(3, 'arquero-check');
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const breathOf = (i: number) => Math.floor(i / ROWS_PER_BREATH);
  return aq.table({
    row: order,
    breath_id: order.map((i) => table.breathId[breathOf(i)]),
    R: order.map((i) => table.R[breathOf(i)]),
    C: order.map((i) => table.C[breathOf(i)]),
    time_step: order.map((i) => table.timeStep[i]),
    u_in: order.map((i) => table.uIn[i]),
    u_out: order.map((i) => table.uOut[i]),
  });
}

function expectedColumns(): aq.ColumnTable {
  // arquero compiles expressions from their source, so the shift goes in as text, not a closure.
  const lagsAndLeads: Record<string, string> = {};
  for (const k of [1, 2, 3, 4]) {
    lagsAndLeads[`u_in_lag${k}`] = `d => op.lag(d.u_in, ${k}, 0)`;
    lagsAndLeads[`u_in_lead${k}`] = `d => op.lead(d.u_in, ${k}, 0)`;
    lagsAndLeads[`u_in_diff${k}`] = `d => d.u_in - op.lag(d.u_in, ${k}, 0)`;
    lagsAndLeads[`u_out_lag${k}`] = `d => op.lag(d.u_out, ${k}, 0)`;
    lagsAndLeads[`u_out_lead${k}`] = `d => op.lead(d.u_out, ${k}, 0)`;
    lagsAndLeads[`u_out_diff${k}`] = `d => d.u_out - op.lag(d.u_out, ${k}, 0)`;
  }
  return shuffledRows()
    .groupby('breath_id')
    .derive({
      u_in_max: (d: Row) => op.max(d.u_in),
      u_in_mean: (d: Row) => op.mean(d.u_in),
    })
    .orderby('time_step')
    .derive({
      ...lagsAndLeads,
      time_delta: (d: Row) => (op.row_number() === 1 ? 0 : d.time_step - op.lag(d.time_step, 1)),
      u_in_cumsum: aq.rolling((d: Row) => op.sum(d.u_in)),
      u_in_cummean: aq.rolling((d: Row) => op.mean(d.u_in)),
      time_step_cumsum: aq.rolling((d: Row) => op.sum(d.time_step)),
      area: aq.rolling((d: Row) => op.sum(d.time_step * d.u_in)),
      u_in_rolling15_sum: aq.rolling((d: Row) => op.sum(d.u_in), [-14, 0]),
      u_in_rolling15_min: aq.rolling((d: Row) => op.min(d.u_in), [-14, 0]),
      u_in_rolling15_max: aq.rolling((d: Row) => op.max(d.u_in), [-14, 0]),
      u_in_rolling15_mean: aq.rolling((d: Row) => op.mean(d.u_in), [-14, 0]),
      u_in_diffmax: (d: Row) => d.u_in_max - d.u_in,
      u_in_diffmean: (d: Row) => d.u_in_mean - d.u_in,
      cross: (d: Row) => d.u_in * d.u_out,
      cross2: (d: Row) => d.time_step * d.u_out,
    })
    .derive({ area_delta: aq.rolling((d: Row) => op.sum(d.time_delta * d.u_in)) })
    .ungroup()
    .orderby('row');
}

test('features agree with an arquero window-operation computation on 300 shuffled breaths', () => {
  const mine = computeColumns(table, 'full');
  const expected = expectedColumns();
  const inputs = new Set(['row', 'breath_id', 'R', 'C', 'time_step', 'u_in', 'u_out']);
  const checked = expected.columnNames().filter((name) => !inputs.has(name));
  for (const name of checked) assert.ok(mine.has(name), `the feature stage has no column ${name}`);
  const rowOrder = expected.array('row') as number[];
  assert.deepEqual(rowOrder.slice(0, 3), [0, 1, 2]);
  for (const name of checked) {
    const want = expected.array(name) as number[];
    const got = mine.get(name)!;
    for (let i = 0; i < rows; i++) {
      const tolerance = 1e-5 * Math.max(1, Math.abs(want[i]));
      if (!(Math.abs(got[i] - want[i]) <= tolerance)) {
        assert.fail(`${name}, breath ${Math.floor(i / ROWS_PER_BREATH)} row ${i % ROWS_PER_BREATH}: ${got[i]} vs arquero ${want[i]}`);
      }
    }
  }
});
