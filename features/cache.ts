/**
 * The feature cache: a layout is stored as Arrow IPC (stream format) keyed by the hash of the
 * input data and of the feature set, so a rerun on the same data skips feature building.
 * Rows become Arrow rows: `features` is a FixedSizeList<Float32>[nFeatures] over the layout's
 * own buffer (no copy on write), plus `breath_id`, `inspiratory` and, for training data, `target`.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Uint8,
  makeData,
  type Data,
} from 'apache-arrow';
import { ROWS_PER_BREATH, type BreathTable } from '../dataset/index.ts';
import { createAtomicWriteStream } from '../core/index.ts';
import { buildFeatures, featureSetHash, resolveFeatures } from './build.ts';
import type { Feature, FeatureLayout, FeatureSet } from './types.ts';

/** Breaths per record batch: small enough to stream, large enough that headers do not matter. */
const BATCH_BREATHS = 2048;
const META_PREFIX = 'tidal.';

function layoutSchema(layout: FeatureLayout, keys: Record<string, string>): Schema {
  const fields: Field[] = [
    new Field('features', new FixedSizeList(layout.nFeatures, new Field('value', new Float32(), false)), false),
    new Field('breath_id', new Int32(), false),
    new Field('inspiratory', new Uint8(), false),
  ];
  if (layout.target) fields.push(new Field('target', new Float32(), false));
  const metadata = new Map<string, string>([
    [`${META_PREFIX}nBreaths`, String(layout.nBreaths)],
    [`${META_PREFIX}featureNames`, JSON.stringify(layout.featureNames)],
    [`${META_PREFIX}binary`, JSON.stringify(layout.binary)],
    ...Object.entries(keys).map(([k, v]) => [`${META_PREFIX}${k}`, v] as [string, string]),
  ]);
  return new Schema(fields, metadata);
}

function* layoutBatches(layout: FeatureLayout, schema: Schema): Generator<RecordBatch> {
  const F = layout.nFeatures;
  for (let b0 = 0; b0 < layout.nBreaths; b0 += BATCH_BREATHS) {
    const b1 = Math.min(layout.nBreaths, b0 + BATCH_BREATHS);
    const r0 = b0 * ROWS_PER_BREATH;
    const r1 = b1 * ROWS_PER_BREATH;
    const length = r1 - r0;
    const rowBreathId = new Int32Array(length);
    for (let i = 0; i < length; i++) rowBreathId[i] = layout.breathId[b0 + Math.floor(i / ROWS_PER_BREATH)];
    const listType = schema.fields[0].type as FixedSizeList<Float32>;
    const values = makeData({ type: new Float32(), length: length * F, nullCount: 0, data: layout.features.subarray(r0 * F, r1 * F) });
    const children: Data[] = [
      makeData({ type: listType, length, nullCount: 0, child: values }),
      makeData({ type: new Int32(), length, nullCount: 0, data: rowBreathId }),
      makeData({ type: new Uint8(), length, nullCount: 0, data: layout.inspiratory.subarray(r0, r1) }),
    ];
    if (layout.target) children.push(makeData({ type: new Float32(), length, nullCount: 0, data: layout.target.subarray(r0, r1) }));
    yield new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  }
}

/** Writes a layout as Arrow IPC, atomically; `keys` go into the schema metadata. */
export async function writeLayoutArrow(path: string, layout: FeatureLayout, keys: Record<string, string> = {}): Promise<void> {
  const schema = layoutSchema(layout, keys);
  const out = createAtomicWriteStream(path);
  try {
    const writer = RecordBatchStreamWriter.writeAll(layoutBatches(layout, schema));
    for await (const chunk of writer) await out.write(chunk);
    await out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}

function metadataJson<T>(path: string, schema: Schema, key: string): T {
  const text = schema.metadata.get(`${META_PREFIX}${key}`);
  if (text === undefined) throw new Error(`${path}: not a Tidal feature file (no ${META_PREFIX}${key} metadata)`);
  return JSON.parse(text) as T;
}

/** Reads a layout written by writeLayoutArrow, batch by batch into one contiguous array. */
export async function readLayoutArrow(path: string): Promise<{ layout: FeatureLayout; keys: Map<string, string> }> {
  try {
    return await readLayoutArrowUnchecked(path);
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(message.startsWith(path) ? message : `${path}: ${message}`);
  }
}

async function readLayoutArrowUnchecked(path: string): Promise<{ layout: FeatureLayout; keys: Map<string, string> }> {
  const reader = await RecordBatchReader.from(createReadStream(path, { highWaterMark: 1 << 22 }));
  await reader.open();
  const schema = reader.schema;
  const nBreaths = metadataJson<number>(path, schema, 'nBreaths');
  const featureNames = metadataJson<string[]>(path, schema, 'featureNames');
  const binary = metadataJson<boolean[]>(path, schema, 'binary');
  const F = featureNames.length;
  const rows = nBreaths * ROWS_PER_BREATH;
  const hasTarget = schema.fields.some((f) => f.name === 'target');
  const layout: FeatureLayout = {
    nBreaths,
    nFeatures: F,
    featureNames,
    binary,
    breathId: new Int32Array(nBreaths),
    features: new Float32Array(rows * F),
    inspiratory: new Uint8Array(rows),
    target: hasTarget ? new Float32Array(rows) : null,
  };
  let row = 0;
  for await (const batch of reader) {
    if (row + batch.numRows > rows) throw new Error(`${path}: more rows than the ${rows} its metadata announces`);
    let at = row * F;
    for (const data of batch.getChild('features')!.data) {
      const child = data.children[0];
      const start = child.offset + data.offset * F;
      layout.features.set((child.values as Float32Array).subarray(start, start + data.length * F), at);
      at += data.length * F;
    }
    const ids = batch.getChild('breath_id')!.toArray() as Int32Array;
    for (let i = 0; i < ids.length; i += ROWS_PER_BREATH) layout.breathId[(row + i) / ROWS_PER_BREATH] = ids[i];
    layout.inspiratory.set(batch.getChild('inspiratory')!.toArray() as Uint8Array, row);
    if (layout.target) layout.target.set(batch.getChild('target')!.toArray() as Float32Array, row);
    row += batch.numRows;
  }
  if (row !== rows) throw new Error(`${path}: ${row} rows, expected ${rows} (truncated file?)`);
  const keys = new Map([...schema.metadata].filter(([k]) => k.startsWith(META_PREFIX)).map(([k, v]) => [k.slice(META_PREFIX.length), v]));
  return { layout, keys };
}

export function featureCachePath(cacheDir: string, dataHash: string, set: string | FeatureSet | readonly Feature[]): string {
  return join(cacheDir, `features-${dataHash.slice(0, 16)}-${featureSetHash(set).slice(0, 16)}.arrow`);
}

/**
 * The layout of `table` for a feature set, from the cache when a file for the same data hash and
 * feature-set hash exists, else built and cached. `dataHash` identifies the table's contents
 * (e.g. hashFile of its CSV).
 */
export async function buildFeaturesCached(
  table: BreathTable,
  set: string | FeatureSet | readonly Feature[],
  cacheDir: string,
  dataHash: string,
): Promise<FeatureLayout> {
  const features = resolveFeatures(set);
  const setHash = featureSetHash(features);
  const path = featureCachePath(cacheDir, dataHash, features);
  if (existsSync(path)) {
    const { layout, keys } = await readLayoutArrow(path).catch((err: Error) => {
      throw new Error(`${err.message} (a feature cache file: delete it to rebuild)`);
    });
    const expectedNames = features.flatMap((f) => f.columns);
    const stale =
      keys.get('dataHash') !== dataHash ||
      keys.get('featureSetHash') !== setHash ||
      layout.nBreaths !== table.nBreaths ||
      layout.featureNames.join(',') !== expectedNames.join(',');
    if (!stale) return layout;
  }
  const layout = buildFeatures(table, features);
  await writeLayoutArrow(path, layout, { dataHash, featureSetHash: setHash });
  return layout;
}
