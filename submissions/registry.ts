/** A named registry (fold combiners, blend methods): registering a name twice throws, so two files cannot silently shadow each other. */
export interface Registry<T extends { name: string }> {
  register(item: T): void;
  /** The item registered under `name`; an unknown name throws and lists the known ones. */
  get(name: string): T;
  names(): string[];
}

export function createRegistry<T extends { name: string }>(kind: string): Registry<T> {
  const items = new Map<string, T>();
  return {
    register(item) {
      if (items.has(item.name)) throw new Error(`${kind} '${item.name}' is already registered`);
      items.set(item.name, item);
    },
    get(name) {
      const item = items.get(name);
      if (!item) throw new Error(`unknown ${kind} '${name}'; known: ${[...items.keys()].join(', ')}`);
      return item;
    },
    names() {
      return [...items.keys()];
    },
  };
}
