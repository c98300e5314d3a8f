import { z } from 'zod';

/*
 * Subject identifiers: RFC 9493 §3.2 formats, SSF §3.5 additions, SSF §3.3 complex subjects.
 * A subject must contain exactly the members its format defines (RFC 9493 §3).
 */
const str = z.string().min(1).max(2048);
const simpleFormats = {
  account: z.object({ format: z.literal('account'), uri: z.string().regex(/^acct:.+/, 'must be an acct: URI') }).strict(),
  email: z.object({ format: z.literal('email'), email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address').max(320) }).strict(),
  iss_sub: z.object({ format: z.literal('iss_sub'), iss: str, sub: str }).strict(),
  opaque: z.object({ format: z.literal('opaque'), id: str }).strict(),
  // RFC 9493 §3.2.5: E.164; SSF's examples also use the legacy name `phone` (reference §14.2).
  phone_number: z.object({ format: z.literal('phone_number'), phone_number: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be E.164') }).strict(),
  phone: z.object({ format: z.literal('phone'), phone_number: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be E.164') }).strict(),
  did: z.object({ format: z.literal('did'), url: z.string().regex(/^did:[a-z0-9]+:.+/, 'must be a DID') }).strict(),
  uri: z.object({ format: z.literal('uri'), uri: z.url() }).strict(),
  jwt_id: z.object({ format: z.literal('jwt_id'), iss: str, jti: str }).strict(),
  saml_assertion_id: z.object({ format: z.literal('saml_assertion_id'), issuer: str, assertion_id: str }).strict(),
  'ip-addresses': z.object({ format: z.literal('ip-addresses'), 'ip-addresses': z.array(z.union([z.ipv4(), z.ipv6()])).min(1) }).strict(),
};
const Simple = z.discriminatedUnion('format', Object.values(simpleFormats) as unknown as [typeof simpleFormats.email, ...Array<typeof simpleFormats.email>]);
const Aliases = z.object({ format: z.literal('aliases'), identifiers: z.array(Simple).min(1) }).strict();
/** SSF §3.3: members are simple subjects; member names are the defined ones or others, each once. */
const Complex = z.object({ format: z.literal('complex') }).catchall(Simple).refine((o) => Object.keys(o).length > 1, 'a complex subject needs at least one member');

/** Any subject riskwire accepts in add/remove subject requests. */
export const SubjectSchema = z.union([Simple, Aliases, Complex]);
export type Subject = Record<string, unknown> & { format: string };

/** Canonical text of a subject (members sorted; `phone` read as `phone_number`), for equality and storage keys. */
export function subjectKey(subject: Subject): string {
  const norm = (s: Record<string, unknown>): unknown => {
    const o: Record<string, unknown> = { ...s };
    if (o.format === 'phone') o.format = 'phone_number';
    if (o.format === 'email' && typeof o.email === 'string') o.email = o.email.toLowerCase();
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' && o[k] !== null && !Array.isArray(o[k]) ? norm(o[k] as Record<string, unknown>) : o[k]]));
  };
  return JSON.stringify(norm(subject));
}

/*
 * A stream's subject list holds what the receiver added and what it removed. SSF §7.1
 * default_subjects "ALL": every subject is on the stream by default and removing one via the
 * remove_subject_endpoint causes its events "to _not_ be transmitted" until it is re-added — so a
 * removal must be remembered, not just undo an earlier add. It is stored next to the added
 * subjects under its own key, wrapped so it cannot be mistaken for one.
 */
/** The storage key of the record that `subject` (with subjectKey `key`) was removed. */
export const removedSubjectKey = (key: string) => `removed:${key}`;
/** The stored record of a removed subject. */
export const removedSubjectRecord = (subject: Subject) => ({ removed: subject });

/** Splits a stream's stored subjects into the added ones and the removed ones. */
export function streamSubjects(stored: ReadonlyArray<Readonly<Record<string, unknown>>>): { added: Subject[]; removed: Subject[] } {
  const added: Subject[] = [];
  const removed: Subject[] = [];
  for (const s of stored) {
    if (typeof s.format === 'string') added.push(s as Subject);
    else if (s.removed && typeof s.removed === 'object') removed.push(s.removed as Subject);
  }
  return { added, removed };
}

/**
 * SSF §8.1.3.1: simple subjects match when identical; complex subjects match when, for every
 * member, it is absent from either side or identical. `aliases` match when any alias matches.
 */
export function subjectsMatch(a: Subject, b: Subject): boolean {
  if (a.format === 'aliases') return (a.identifiers as Subject[]).some((x) => subjectsMatch(x, b));
  if (b.format === 'aliases') return (b.identifiers as Subject[]).some((x) => subjectsMatch(a, x));
  if (a.format === 'complex' && b.format === 'complex') {
    const members = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => k !== 'format'));
    return [...members].every((m) => a[m] === undefined || b[m] === undefined || subjectKey(a[m] as Subject) === subjectKey(b[m] as Subject));
  }
  if (a.format === 'complex') return Object.entries(a).some(([k, v]) => k !== 'format' && subjectKey(v as Subject) === subjectKey(b));
  if (b.format === 'complex') return subjectsMatch(b, a);
  return subjectKey(a) === subjectKey(b);
}
