import type { CatalogBehavior } from '../../domain/behavior.js';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../observability/logger.js';
import type { Storage } from '../../storage/ports.js';
import type { UserRecord } from '../../storage/risk-ports.js';
import type { Stream } from '../../storage/ssf-ports.js';
import { draftsForChange, userSubject, type SetDraft } from '../set/build-set.js';
import { streamSubjects, subjectsMatch, type Subject } from '../subjects.js';
import type { Enqueue } from './enqueue.js';

/** The subjects a user can be addressed by, for matching subjects a receiver added (SSF §8.1.3.1). */
function candidateSubjects(user: UserRecord): Subject[] {
  const out: Subject[] = [userSubject(user), { format: 'complex', user: { format: 'opaque', id: user.id } }];
  if (user.email) out.push({ format: 'email', email: user.email });
  for (const i of user.identifiers) {
    if (i.kind === 'email') out.push({ format: 'email', email: i.value });
    if (i.kind === 'iss_sub') {
      const at = i.value.indexOf(' ');
      out.push({ format: 'iss_sub', iss: i.value.slice(0, at), sub: i.value.slice(at + 1) });
    }
  }
  return out;
}

/** What the fan-out could not send, by reason (observability; never retried). */
export interface FanOutCounters {
  /**
   * Risk changes not sent to an Okta-profile stream because the user has no email: Okta matches
   * users by sign-in email only (vendors reference §3.1.3, §3.1.4). Counted once per change and
   * stream (again if a crash makes the change run twice); the change is still acknowledged, so
   * it is never retried.
   */
  oktaSkippedNoEmail: { inc(): void };
}

/**
 * One pass of the transmitter's consumer of the risk change feed: every unconsumed RiskChange
 * becomes SETs on every stream of its account that delivers them and whose subjects include the
 * user, then the change is acknowledged. A crash before the acknowledgement re-runs the change;
 * the outbox ignores what it already holds. Returns how many changes were consumed.
 */
export async function fanOutOnce(deps: {
  storage: Storage;
  now: Clock;
  issuerOf: (accountId: string) => string;
  enqueue: Enqueue;
  catalog: readonly CatalogBehavior[];
  logger: Logger;
  counters: FanOutCounters;
}, limit = 200): Promise<number> {
  const { counters } = deps;
  const changes = await deps.storage.risk.pendingChanges(limit);
  if (!changes.length) return 0;
  const streamsOf = new Map<string, Stream[]>();
  const subjectsOf = new Map<string, { added: Subject[]; removed: Subject[] }>();
  const defaults = new Map<string, 'ALL' | 'NONE'>();
  const device = new Set(deps.catalog.filter((b) => b.device).map((b) => b.id));
  const bySubject = new Map<string, Array<{ stream: Stream; draft: SetDraft; sourceId: string }>>();
  for (const change of changes) {
    const a = change.accountId;
    if (!streamsOf.has(a)) {
      streamsOf.set(a, await deps.storage.streams.listDeliverable(a));
      defaults.set(a, (await deps.storage.accounts.get(a))?.settings.ssfDefaultSubjects ?? 'ALL');
    }
    if (!streamsOf.get(a)!.length) continue; // no stream to send to: nothing to look up or sign
    const user = await deps.storage.users.get(a, change.userId);
    if (!user) continue;
    const candidates = candidateSubjects(user);
    for (const stream of streamsOf.get(a)!) {
      // SSF §7.1 default_subjects: ALL ⇒ every user; NONE ⇒ only users matching an added subject.
      // Either way a subject the receiver removed gets no events until it is re-added (SSF §7.1:
      // removal under ALL causes "events for those subjects to _not_ be transmitted").
      if (stream.receiverId !== null) {
        const key = `${a}/${stream.streamId}`;
        if (!subjectsOf.has(key)) subjectsOf.set(key, streamSubjects(await deps.storage.streams.listSubjects(a, stream.streamId)));
        const { added, removed } = subjectsOf.get(key)!;
        const matches = (list: Subject[]) => list.some((x) => candidates.some((c) => subjectsMatch(x, c)));
        if (matches(removed)) continue;
        if (defaults.get(a) === 'NONE' && !matches(added)) continue;
      }
      if (stream.profile === 'okta' && !user.email) {
        counters.oktaSkippedNoEmail.inc();
        continue;
      }
      const drafts = draftsForChange(change, user, stream, deps.issuerOf(a), deps.now(), { deviceBehavior: change.behaviorId !== null && device.has(change.behaviorId) });
      for (const d of drafts) {
        const key = `${a}/${stream.streamId}/${d.subjectKey}`;
        let queue = bySubject.get(key);
        if (!queue) bySubject.set(key, (queue = []));
        queue.push({ stream, draft: d, sourceId: `${change.id}:${d.eventType}` });
      }
    }
  }
  // Signing and queueing run concurrently across subjects (RS256 signs on the crypto thread pool;
  // the outbox writes share commits) and in change order within one subject of one stream, the
  // order its SETs must be delivered in.
  const done = await Promise.allSettled([...bySubject.values()].map(async (queue) => {
    for (const j of queue) await deps.enqueue(j.stream, j.draft, j.sourceId);
  }));
  // Not acknowledged: the next pass re-runs these changes; the outbox keeps what it already holds.
  const failed = done.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  await deps.storage.risk.ackChanges(changes.map((c) => c.id), deps.now());
  return changes.length;
}
