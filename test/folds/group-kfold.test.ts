import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROWS_PER_BREATH, rcPairIndex, type BreathTable } from '../../dataset/index.ts';
import { createRng } from '../../core/index.ts';
import { assignFolds, foldBreathIndices, foldsOf, groupKFold, stratifiedGroupKFold, type FoldAssignment } from '../../folds/index.ts';
import { sampleTrain } from '../features/sample-data.ts';

const table = sampleTrain(500, 21);
const pairs = Array.from({ length: table.nBreaths }, (_, b) => rcPairIndex(table.R[b], table.C[b]));

function counts(assignment: FoldAssignment, include: (i: number) => boolean = () => true): number[] {
  const out = new Array<number>(assignment.nFolds).fill(0);
  assignment.folds.forEach((f, i) => include(i) && out[f]++);
  return out;
}

function spread(values: number[]): number {
  return Math.max(...values) - Math.min(...values);
}

/** The table with its breaths in another order (rows of a breath move together). */
function permuted(source: BreathTable, seed: number): BreathTable {
  const order = Array.from({ length: source.nBreaths }, (_, i) => i);
  const rng = createRng(seed, 'permute');
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const perRow = <T extends Float64Array | Int32Array | Uint8Array>(column: T): T => {
    const out = column.slice() as T;
    order.forEach((from, to) => out.set(column.subarray(from * ROWS_PER_BREATH, (from + 1) * ROWS_PER_BREATH), to * ROWS_PER_BREATH));
    return out;
  };
  return {
    nBreaths: source.nBreaths,
    breathId: Int32Array.from(order, (i) => source.breathId[i]),
    R: Uint8Array.from(order, (i) => source.R[i]),
    C: Uint8Array.from(order, (i) => source.C[i]),
    id: perRow(source.id),
    timeStep: perRow(source.timeStep),
    uIn: perRow(source.uIn),
    uOut: perRow(source.uOut),
    pressure: source.pressure ? perRow(source.pressure) : null,
  };
}

test('group k-fold is a partition of the breaths with fold sizes within one breath', () => {
  for (const k of [2, 5, 7]) {
    const assignment = groupKFold(table.breathId, k, 1);
    assert.deepEqual([...assignment.breathIds], [...table.breathId].sort((a, b) => a - b));
    assert.ok(assignment.folds.every((f) => f < k));
    const sizes = counts(assignment);
    assert.equal(sizes.reduce((a, b) => a + b, 0), table.nBreaths);
    assert.ok(spread(sizes) <= 1, `k=${k}: ${sizes}`);
  }
});

test('stratified k-fold keeps each R_C pair within one breath across folds', () => {
  const assignment = assignFolds(table, { nFolds: 5, seed: 1, stratified: true });
  const pairOfId = new Map(Array.from(table.breathId, (id, b) => [id, pairs[b]]));
  const strata = new Set(pairs);
  assert.ok(strata.size >= 8, 'the sample has most pairs');
  for (const pair of strata) {
    const sizes = counts(assignment, (i) => pairOfId.get(assignment.breathIds[i]) === pair);
    assert.ok(spread(sizes) <= 1, `pair ${pair}: ${sizes}`);
  }
  assert.ok(spread(counts(assignment)) <= 1);
  // Plain k-fold does not promise this: on the same data some pair is spread unevenly.
  const plain = assignFolds(table, { nFolds: 5, seed: 1, stratified: false });
  assert.ok([...strata].some((pair) => spread(counts(plain, (i) => pairOfId.get(plain.breathIds[i]) === pair)) > 1));
});

test('same seed, same folds; another seed, other folds', () => {
  const a = assignFolds(table, { nFolds: 5, seed: 9, stratified: true });
  assert.deepEqual(assignFolds(table, { nFolds: 5, seed: 9, stratified: true }), a);
  assert.notDeepEqual(assignFolds(table, { nFolds: 5, seed: 10, stratified: true }).folds, a.folds);
});

test('folds depend on the set of breath ids, not on their order in the input', () => {
  for (const stratified of [false, true]) {
    const a = assignFolds(table, { nFolds: 5, seed: 4, stratified });
    const b = assignFolds(permuted(table, 77), { nFolds: 5, seed: 4, stratified });
    assert.deepEqual(b, a);
  }
});

test('fold breath indices split a table into train and validation for each fold', () => {
  const shuffled = permuted(table, 5);
  const assignment = assignFolds(table, { nFolds: 4, seed: 2, stratified: true });
  const folds = foldsOf(assignment, shuffled.breathId);
  const seen = new Uint8Array(shuffled.nBreaths);
  for (let fold = 0; fold < 4; fold++) {
    const { train, valid } = foldBreathIndices(assignment, shuffled.breathId, fold);
    assert.equal(train.length + valid.length, shuffled.nBreaths);
    for (const b of valid) {
      assert.equal(folds[b], fold);
      seen[b]++;
    }
    for (const b of train) assert.notEqual(folds[b], fold);
  }
  assert.ok(seen.every((n) => n === 1), 'every breath validated exactly once');
});

test('bad input: duplicate breath ids, too many folds, unknown breath', () => {
  assert.throws(() => groupKFold([1, 2, 2, 3], 2, 0), /breath_id 2 appears twice/);
  assert.throws(() => groupKFold([1, 2, 3], 4, 0), /4 folds but only 3 breaths/);
  assert.throws(() => stratifiedGroupKFold([1, 2, 3], [0, 1], 2, 0), /3 breath ids but 2 strata/);
  assert.throws(() => foldsOf(groupKFold([1, 2, 3], 2, 0), [4]), /breath_id 4 has no fold/);
});
