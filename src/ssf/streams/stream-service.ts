import { randomBytes } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { errors } from '../../domain/errors.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Storage } from '../../storage/ports.js';
import { POLL, PUSH, type Stream, type StreamStatus } from '../../storage/ssf-ports.js';
import { EVENTS_SUPPORTED, OKTA_EVENTS_SUPPORTED } from '../event-types.js';
import { streamUpdatedDraft, verificationDraft, type SetDraft } from '../set/build-set.js';
import { removedSubjectKey, removedSubjectRecord, subjectKey, type Subject } from '../subjects.js';
import type { OutboundUrlPolicy } from './outbound-url.js';

/** Who is calling: a receiver of the account (from its access token or static token). */
export interface ReceiverPrincipal {
  readonly accountId: string;
  readonly clientId: string;
  readonly audience: string;
}

/** The receiver-supplied part of a stream configuration (SSF §8.1.1). */
export interface ReceiverSupplied {
  events_requested?: string[] | undefined;
  delivery?: { method: string; endpoint_url?: string | undefined; authorization_header?: string | undefined } | undefined;
  description?: string | null | undefined;
}

/** Transmitter-supplied members a PATCH/PUT may repeat; they must equal ours (SSF §8.1.1.3). */
export interface TransmitterSupplied {
  iss?: unknown;
  aud?: unknown;
  events_supported?: unknown;
  events_delivered?: unknown;
  min_verification_interval?: unknown;
}

export interface StreamServiceDeps {
  storage: Storage;
  secrets: SecretBox;
  now: Clock;
  issuerOf: (accountId: string) => string;
  pollUrlOf: (accountId: string, streamId: string) => string;
  outboundUrls: OutboundUrlPolicy;
  minVerificationIntervalSeconds: number;
  /** Signs and queues a SET for a stream (held while paused, dropped while disabled, unless `control`). */
  enqueue: (stream: Stream, draft: SetDraft, sourceId: string, opts?: { control?: boolean }) => Promise<void>;
  maxStreamsPerReceiver: number;
}

/**
 * Transmitter-supplied values compared as a receiver means them: string lists as sets (order is
 * not significant for events_* or aud), and `aud` "x" the same as ["x"] (JWT aud, RFC 7519 §4.1.3).
 */
const sameValue = (a: unknown, b: unknown): boolean => {
  const list = (v: unknown) => (typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);
  const la = list(a);
  const lb = list(b);
  if (la && lb) return new Set(la).size === new Set(lb).size && la.every((x) => lb.includes(x));
  return JSON.stringify(a) === JSON.stringify(b);
};
const supportedFor = (s: Pick<Stream, 'profile'>) => (s.profile === 'okta' ? OKTA_EVENTS_SUPPORTED : EVENTS_SUPPORTED);

/**
 * SSF §8 stream management for one account's transmitter. A stream belongs to the receiver that
 * created it: another receiver's stream id answers 404, exactly like a missing one (SSF §8).
 */
export function streamService(deps: StreamServiceDeps) {
  const authContext = (accountId: string, streamId: string) => `${accountId}/streams/${streamId}/authorization`;

  /** SSF §8.1.1: events_delivered ⊆ supported ∩ requested; unknown URIs are ignored (MUST). */
  const delivered = (supported: readonly string[], requested: readonly string[] | undefined) =>
    requested === undefined ? [...supported] : supported.filter((e) => requested.includes(e));

  const deliveryOf = async (accountId: string, streamId: string, d: ReceiverSupplied['delivery'], previous: Stream['delivery'] | null): Promise<Stream['delivery']> => {
    // SSF §8.1.1.1: no delivery ⇒ poll, with our endpoint_url (unique per stream, SSF §6.1.2).
    if (!d || d.method === POLL) return { method: POLL, endpointUrl: deps.pollUrlOf(accountId, streamId), authorizationHeaderSealed: null };
    if (d.method !== PUSH) throw errors.badRequest(`delivery.method must be ${PUSH} or ${POLL}`);
    if (!d.endpoint_url) throw errors.badRequest('delivery.endpoint_url is required for push delivery');
    await deps.outboundUrls.check(d.endpoint_url, 'delivery.endpoint_url');
    const header = d.authorization_header;
    return {
      method: PUSH,
      endpointUrl: d.endpoint_url,
      authorizationHeaderSealed: header === undefined ? (previous?.method === PUSH && previous.endpointUrl === d.endpoint_url ? previous.authorizationHeaderSealed : null) : deps.secrets.seal(header, authContext(accountId, streamId)),
    };
  };

  const own = async (p: ReceiverPrincipal, streamId: unknown): Promise<Stream> => {
    if (typeof streamId !== 'string' || !streamId) throw errors.badRequest('stream_id is required');
    const s = await deps.storage.streams.get(p.accountId, streamId);
    if (!s || s.receiverId !== p.clientId) throw errors.notFound(`stream "${streamId}" not found`);
    return s;
  };

  const checkTransmitterSupplied = (s: Stream, body: TransmitterSupplied) => {
    const ours: Record<string, unknown> = {
      iss: deps.issuerOf(s.accountId), aud: s.aud, events_supported: supportedFor(s), events_delivered: s.eventsDelivered,
      min_verification_interval: deps.minVerificationIntervalSeconds,
    };
    for (const [k, v] of Object.entries(ours)) {
      const given = (body as Record<string, unknown>)[k];
      if (given !== undefined && !sameValue(given, v)) {
        // aud is immutable (SSF §8.1.1); other transmitter-supplied values must match what we hold.
        throw errors.badRequest(`${k} is transmitter-supplied and does not match the stream's value`);
      }
    }
  };

  return {
    async create(p: ReceiverPrincipal, body: ReceiverSupplied): Promise<Stream> {
      const existing = await deps.storage.streams.listByReceiver(p.accountId, p.clientId);
      if (existing.length >= deps.maxStreamsPerReceiver) throw errors.conflict(`a receiver may have at most ${deps.maxStreamsPerReceiver} streams`);
      const streamId = randomBytes(16).toString('hex');
      const now = deps.now();
      const s: Stream = {
        accountId: p.accountId, streamId, receiverId: p.clientId, aud: p.audience,
        eventsRequested: body.events_requested ?? [], eventsDelivered: delivered(EVENTS_SUPPORTED, body.events_requested),
        description: body.description ?? null, delivery: await deliveryOf(p.accountId, streamId, body.delivery, null),
        status: 'enabled', statusReason: null, profile: 'standard', createdAt: now, updatedAt: now, lastVerificationAt: null,
      };
      await deps.storage.streams.insert(s);
      return s;
    },
    get: own,
    list: (p: ReceiverPrincipal) => deps.storage.streams.listByReceiver(p.accountId, p.clientId),

    /** PATCH (partial) or PUT (replace) — SSF §8.1.1.3 / §8.1.1.4. */
    async update(p: ReceiverPrincipal, body: ReceiverSupplied & TransmitterSupplied & { stream_id?: unknown }, mode: 'patch' | 'put'): Promise<Stream> {
      const s = await own(p, body.stream_id);
      checkTransmitterSupplied(s, body);
      const put = mode === 'put';
      const requested = body.events_requested !== undefined ? body.events_requested : put ? undefined : s.eventsRequested.length ? [...s.eventsRequested] : undefined;
      const next: Stream = {
        ...s,
        eventsRequested: requested ?? [],
        eventsDelivered: delivered(supportedFor(s), requested),
        description: body.description !== undefined ? body.description : put ? null : s.description,
        delivery: body.delivery !== undefined || put ? await deliveryOf(s.accountId, s.streamId, body.delivery, s.delivery) : s.delivery,
        updatedAt: deps.now(),
      };
      if (!(await deps.storage.streams.update(next))) throw errors.notFound(`stream "${s.streamId}" not found`);
      return next;
    },

    async delete(p: ReceiverPrincipal, streamId: unknown): Promise<void> {
      const s = await own(p, streamId);
      await deps.storage.streams.delete(s.accountId, s.streamId);
    },

    /** SSF §8.1.2.2. A receiver's own change is not announced with stream-updated (reference §3.3). */
    async setStatus(p: ReceiverPrincipal, streamId: unknown, status: StreamStatus, reason: string | null): Promise<Stream> {
      const s = await own(p, streamId);
      const next: Stream = { ...s, status, statusReason: reason, updatedAt: deps.now() };
      if (!(await deps.storage.streams.update(next))) throw errors.notFound(`stream "${s.streamId}" not found`);
      // SSF §8.1.2.1: a disabled stream holds nothing.
      if (status === 'disabled') await deps.storage.outbox.dropPending(s.accountId, s.streamId);
      return next;
    },

    /**
     * A status change the transmitter makes on its own (an operator of this account): announced
     * with stream-updated (SSF §8.1.5) — before stopping the stream (enabled → paused/disabled) and
     * upon re-enabling it. The announcement of a stop is delivered although the stream then holds
     * or drops everything else (see poll.ts).
     */
    async setStatusByTransmitter(accountId: string, streamId: string, status: StreamStatus, reason: string | null): Promise<Stream> {
      const s = await deps.storage.streams.get(accountId, streamId);
      if (!s) throw errors.notFound(`stream "${streamId}" not found`);
      // An integration's stream follows the integration's `active` flag, and Okta accepts no
      // stream-updated events: change it through the integration instead.
      if (s.receiverId === null) throw errors.conflict('this stream belongs to an integration; set the integration\'s active flag instead');
      if (s.status === status) return s;
      const now = deps.now();
      const draft = streamUpdatedDraft(s, deps.issuerOf(accountId), now, status, reason);
      const next: Stream = { ...s, status, statusReason: reason, updatedAt: now };
      // A disabled stream holds nothing (SSF §8.1.2.1) — but the notice that it stops is kept.
      if (status === 'disabled') await deps.storage.outbox.dropPending(accountId, streamId);
      await deps.enqueue(s, draft, `stream-updated:${draft.claims.jti as string}`, { control: true });
      await deps.storage.streams.update(next);
      return next;
    },

    async addSubject(p: ReceiverPrincipal, streamId: unknown, subject: Subject): Promise<void> {
      const s = await own(p, streamId);
      const key = subjectKey(subject);
      // SSF §7.1: a receiver "MAY re-add any subjects removed" — re-adding ends the removal.
      await deps.storage.streams.removeSubject(s.accountId, s.streamId, removedSubjectKey(key));
      await deps.storage.streams.addSubject(s.accountId, s.streamId, key, subject);
    },
    async removeSubject(p: ReceiverPrincipal, streamId: unknown, subject: Subject): Promise<void> {
      const s = await own(p, streamId);
      // SSF §8.1.4.1: the stream's own subject is always on the stream and "MAY NOT be removed".
      if (subject.format === 'opaque' && subject.id === s.streamId) throw errors.badRequest("the stream's own subject cannot be removed");
      const key = subjectKey(subject);
      // SSF §8.1.3.3 / §9.1: an unknown subject is not an error (204 either way).
      await deps.storage.streams.removeSubject(s.accountId, s.streamId, key);
      // SSF §7.1 default_subjects ALL: removing a subject stops its events even though it was
      // never added explicitly, so the removal itself is recorded (see subjects.ts).
      await deps.storage.streams.addSubject(s.accountId, s.streamId, removedSubjectKey(key), removedSubjectRecord(subject));
    },

    /**
     * SSF §8.1.4.2: queue a verification event echoing `state`; 429 with Retry-After when asked
     * more often than min_verification_interval. Held while paused, dropped while disabled.
     */
    async verify(p: ReceiverPrincipal, streamId: unknown, state: string | undefined): Promise<void> {
      const s = await own(p, streamId);
      const now = deps.now();
      const wait = s.lastVerificationAt ? s.lastVerificationAt.getTime() + deps.minVerificationIntervalSeconds * 1000 - now.getTime() : 0;
      if (wait > 0) {
        throw errors.tooManyRequests(`verification may be requested once every ${deps.minVerificationIntervalSeconds} s`, { headers: { 'Retry-After': String(Math.ceil(wait / 1000)) } });
      }
      await deps.storage.streams.update({ ...s, lastVerificationAt: now });
      const draft = verificationDraft(s, deps.issuerOf(s.accountId), now, state);
      await deps.enqueue(s, draft, `verification:${draft.claims.jti as string}`);
    },
  };
}

export type StreamService = ReturnType<typeof streamService>;
