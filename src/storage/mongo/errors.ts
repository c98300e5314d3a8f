/** True for MongoDB's duplicate-key error (E11000), which racing upserts of one `_id` can raise. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
