/** Every path into a JSON value (objects and arrays included, the root excluded), for field-by-field sweeps. */
export function pathsOf(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (v === null || typeof v !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...at, k], ...pathsOf(x, [...at, k])]);
}

/** A copy of `doc` with the value at `path` replaced. */
export function withValue<T>(doc: T, path: ReadonlyArray<string | number>, value: unknown): T {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy as T;
}
