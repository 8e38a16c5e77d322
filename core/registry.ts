/**
 * Named registries (features, feature sets, models, losses, layers, scalers, blend methods, fold
 * combiners): registering a name twice throws, so two files cannot silently shadow each other,
 * and an unknown name throws listing the known ones.
 */
export interface Registry<T extends { name: string }> {
  register(item: T, options?: { override?: boolean }): void;
  /** The item registered under `name`; an unknown name throws and lists the known ones. */
  get(name: string): T;
  has(name: string): boolean;
  /** Names in registration order. */
  names(): string[];
  /** Items in registration order. */
  list(): T[];
}

export function createRegistry<T extends { name: string }>(kind: string): Registry<T> {
  const items = new Map<string, T>();
  return {
    register(item, options = {}) {
      if (items.has(item.name) && !options.override) throw new Error(`${kind} '${item.name}' is already registered`);
      items.set(item.name, item);
    },
    get(name) {
      const item = items.get(name);
      if (!item) throw new Error(`unknown ${kind} '${name}'; known: ${[...items.keys()].join(', ')}`);
      return item;
    },
    has: (name) => items.has(name),
    names: () => [...items.keys()],
    list: () => [...items.values()],
  };
}
