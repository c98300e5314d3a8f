/**
 * Free-form JSON that senders shape — a signal's details, a received SET's claims and subject, a
 * webhook event's kept signal, a receiver's subject — is stored as JSON text on MongoDB. Field
 * names starting with `$` or containing `.` are refused by MongoDB in some positions and by
 * FerretDB in all, and these names come from outside: stored as documents they would make a
 * sender's request fail with a 500. Documents written before hold objects; both read back alike.
 */
export const storedJson = (value: Readonly<Record<string, unknown>>): string => JSON.stringify(value);

export function readJson(stored: unknown): Record<string, unknown> {
  return typeof stored === 'string' ? (JSON.parse(stored) as Record<string, unknown>) : (stored as Record<string, unknown>);
}
