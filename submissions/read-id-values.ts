/**
 * Values of an `id,pressure` file (a submission, test_answers.csv) in the order of given ids:
 * every id must be in the file. Parsing and its checks (numbers, duplicate ids, line numbers in
 * errors) are dataset's CSV reader's.
 */
import { readSampleSubmission } from '../dataset/index.ts';
import { indexIds } from './id-index.ts';

export async function readIdValues(path: string, ids: Int32Array): Promise<Float64Array> {
  const file = await readSampleSubmission(path);
  const index = indexIds(file.id, (id) => {
    throw new Error(`${path}: duplicate id ${id}`);
  });
  const out = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const at = index.get(ids[i]);
    if (at < 0) throw new Error(`${path}: missing id ${ids[i]}`);
    out[i] = file.pressure[at];
  }
  if (file.id.length !== ids.length) {
    const wanted = indexIds(ids, (id) => {
      throw new Error(`readIdValues: id ${id} asked for twice`);
    });
    const extra = file.id.find((id) => wanted.get(id) < 0);
    throw new Error(`${path}: id ${extra} is not expected here (the file has ${file.id.length} rows, ${ids.length} ids were asked for)`);
  }
  return out;
}
