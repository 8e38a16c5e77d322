/** Position of each id in an id column: dense array when ids are small positive integers (Kaggle's), a Map otherwise. */
export interface IdIndex {
  /** Position of id, or -1. */
  get(id: number): number;
}

/** Builds the index; on a repeated id calls onDuplicate(id, firstPosition, position), which should throw. */
export function indexIds(ids: Int32Array, onDuplicate: (id: number, first: number, second: number) => never): IdIndex {
  let min = 0;
  let max = 0;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < min) min = ids[i];
    if (ids[i] > max) max = ids[i];
  }
  if (min >= 0 && max <= Math.max(4 * ids.length, 1 << 20)) {
    const at = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (at[id] >= 0) onDuplicate(id, at[id], i);
      at[id] = i;
    }
    return { get: (id) => (id >= 0 && id < at.length ? at[id] : -1) };
  }
  const at = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const first = at.get(ids[i]);
    if (first !== undefined) onDuplicate(ids[i], first, i);
    at.set(ids[i], i);
  }
  return { get: (id) => at.get(id) ?? -1 };
}
