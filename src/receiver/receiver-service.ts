import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { MappingRule } from '../config/receiver-mappings.js';
import type { Clock } from '../domain/clock.js';
import { errors } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import type { IngestSignals } from '../risk/ingest-signals.js';
import type { Storage } from '../storage/ports.js';
import type { ReceivedSet, Subscription } from '../storage/inbound-ports.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { randomId, safeEqual } from '../crypto/tokens.js';
import { EVENT } from '../ssf/event-types.js';
import type { OutboundUrlPolicy } from '../ssf/streams/outbound-url.js';
import type { JwksCache } from './jwks-cache.js';
import { setError, verifySet } from './verify-set.js';
import { processReceived } from './process-received.js';
import { scoringQueue } from '../risk/scoring-queue.js';
import { registerManaged, clientFor, type RegisterManagedInput } from './managed/register-managed.js';
import { unprocessableCriticalMember } from './to-signal.js';
import { subscriptionCache } from './subscription-cache.js';
import type { Held } from '../storage/revision-cache.js';
import { guardedFetch } from '../ssf/outbound/guarded-fetch.js';
import { ServiceError } from '../domain/errors.js';

/** Pushed SETs scored together at most, and waiting in memory at most (scoring-queue.ts). */
const PUSH_BATCH = 500;
const PUSH_QUEUE = 20_000;

/**
 * riskwire as an SSF receiver: transmitters registered per account, SETs pushed to a per-
 * subscription endpoint, validated (RFC 8935), stored durably before they are acknowledged,
 * then turned into risk signals through config/receiver-mappings.json.
 */
/** The subscription changed since the SET began with it (ReceivedSetStore.insert answered 'stale'): start over. */
class StaleSubscription extends Error {}

export function receiverService(deps: {
  config: Config; storage: Storage; secrets: SecretBox; now: Clock; logger: Logger; jwks: JwksCache; outboundUrls: OutboundUrlPolicy;
  rules: readonly MappingRule[]; ingest: IngestSignals;
}) {
  const { storage } = deps;
  const subscriptions = subscriptionCache(storage.subscriptions);
  /** When this process last moved a subscription's last_event_at forward (informational: at most once a second). */
  const touched = new Map<string, number>();
  /** The push credential we gave a managed subscription's transmitter, opened once per revision of it (subscription-cache.ts keeps the object). */
  const openedCredentials = new WeakMap<Subscription, string>();
  const pushCredential = (sub: Subscription, sealed: string) => {
    let opened = openedCredentials.get(sub);
    if (opened === undefined) openedCredentials.set(sub, (opened = deps.secrets.open(sealed, `${sub.accountId}/subscriptions/${sub.id}/authorization`).toString('utf8')));
    return opened;
  };
  const fetch = guardedFetch({ allowPrivateNetwork: deps.config.allowPrivateNetwork });
  /** Event types a managed subscription requests by default: what the mappings understand. */
  const defaultEvents = [...new Set(deps.rules.map((r) => r.event))];
  /** Per managed poll subscription: what to acknowledge or report next round, and back-off. */
  type PollState = { acks: string[]; errs: Record<string, { err: string; description: string }>; backoffUntil: number; failures: number };
  const polls = new Map<string, PollState>();
  /**
   * One management client per managed subscription, kept while its sealed credentials stay the
   * same: the client holds the access token until it expires (or a 401 invalid_token), so the
   * transmitter's token endpoint is not asked for a token on every poll or call.
   */
  const clients = new Map<string, { authSealed: string; client: ReturnType<typeof clientFor> }>();
  const managedClient = (sub: Subscription) => {
    const key = `${sub.accountId}/${sub.id}`;
    const kept = clients.get(key);
    if (kept && kept.authSealed === sub.managed!.authSealed) return kept.client;
    const client = clientFor(sub, { secrets: deps.secrets, fetch, allowPrivateNetwork: deps.config.allowPrivateNetwork });
    clients.set(key, { authSealed: sub.managed!.authSealed, client });
    return client;
  };
  const pushEndpoint = (accountId: string, id: string) => `${deps.config.publicUrl}/ssf-receiver/${accountId}/${id}`;
  const audit = (accountId: string, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    storage.auditLog.append({ id: randomId(), accountId, at: deps.now(), actor, action, target, details });

  // SETs this process is scoring now, which recovery must leave alone.
  const inFlight = new Set<string>();
  const flightKey = (r: ReceivedSet) => `${r.accountId}/${r.subscriptionId}/${r.jti}`;
  const processDeps = { storage, rules: deps.rules, ingest: deps.ingest, logger: deps.logger };
  const process = async (records: ReceivedSet[]): Promise<void> => {
    for (const r of records) inFlight.add(flightKey(r));
    try {
      await processReceived(processDeps, records);
    } finally {
      for (const r of records) inFlight.delete(flightKey(r));
    }
  };
  // Pushed SETs are scored after their 202, in batches (scoring-queue.ts); in flight from queuing on.
  const pushed = scoringQueue<ReceivedSet>(process, {
    maxBatch: PUSH_BATCH, maxQueued: PUSH_QUEUE, gatherMs: deps.config.risk.batchWaitMs, onError: (err) => deps.logger.error('processing received SETs failed', { error: err }),
  });

  /**
   * One RFC 8936 round for one subscription: acknowledges what the last round stored, reports
   * invalid SETs in setErrs (with Content-Language), stores new ones before they are
   * acknowledged in the next round, then processes them in order. Returns how many SETs came.
   */
  const pollSubscription = async (sub: Subscription, endpoint: string, state: PollState, key: string, failed: (why: string) => Promise<void>): Promise<number> => {
    const body: Record<string, unknown> = { maxEvents: 100, returnImmediately: true };
    if (state.acks.length) body.ack = state.acks;
    if (Object.keys(state.errs).length) body.setErrs = state.errs;
    let r: { status: number; json: unknown };
    try {
      r = await managedClient(sub).call('POST', endpoint, body, Object.keys(state.errs).length ? { 'content-language': 'en' } : {});
    } catch (err) {
      r = { status: 0, json: { error: (err as Error).message } };
    }
    if (r.status !== 200) {
      await failed(`poll answered ${r.status === 0 ? JSON.stringify(r.json) : `HTTP ${r.status}`}`);
      return 0;
    }
    const next: PollState = { acks: [], errs: {}, backoffUntil: 0, failures: 0 };
    const sets = ((r.json as { sets?: Record<string, string> } | null)?.sets ?? {});
    const work: Array<() => Promise<void>> = [];
    let n = 0;
    for (const [jti, jws] of Object.entries(sets)) {
      try {
        work.push(await service.receive(sub.accountId, sub.id, jws, undefined, 'poll'));
        next.acks.push(jti); // stored: acknowledge in the next request, never before
      } catch (err) {
        if (err instanceof ServiceError && err.status === 400) next.errs[jti] = { err: err.code, description: err.description };
        else throw err;
      }
      n++;
    }
    polls.set(key, next);
    for (const w of work) await w(); // in order: one subject's SETs must not overtake each other
    return n;
  };

  /** One SET with a given subscription (`receive`). Throws StaleSubscription when it changed since `held` was read. */
  const receiveWith = async (held: Held<Subscription>, confirmed: boolean, accountId: string, id: string, jws: string, authorization: string | undefined, via: 'push' | 'poll'): Promise<() => Promise<void>> => {
    const sub = held.value;
    // SSF §8.1.1.1.1: a stream whose iss did not match is never used.
    if (sub.status === 'error') throw setError('access_denied', 'this subscription is not in use');
    // Pushed SETs must carry the Authorization we gave the transmitter; polled ones came over our
    // own authenticated request. A managed poll subscription gave no push credential, so it
    // takes no pushes at all (only static subscriptions rely on the signature alone).
    if (via === 'push' && sub.mode === 'managed' && !sub.pushAuthorizationSealed) throw setError('authentication_failed', 'this subscription is delivered by polling; it takes no pushes');
    const expectedAuthorization = via === 'push' && sub.pushAuthorizationSealed ? pushCredential(sub, sub.pushAuthorizationSealed) : null;
    const v = await verifySet(jws, sub, { jwks: deps.jwks, authorization, expectedAuthorization, safeEqual });
    const now = deps.now();
    const jti = v.claims.jti as string;
    if (v.eventType === EVENT.verification) {
      // Consuming the state is a write of its own: only with the subscription as it is now.
      if (!confirmed) throw new StaleSubscription();
      if (sub.streamId && (v.subject.format !== 'opaque' || v.subject.id !== sub.streamId)) throw setError('invalid_request', 'a verification event names its stream in sub_id');
      // SSF §8.1.4.1: a state must be one we sent, and counts once; an unsolicited verification has none.
      const state = v.event.state;
      if (state !== undefined) {
        if (typeof state !== 'string') throw setError('invalid_state', 'this verification state was never requested');
        // RFC 8935 §2: a SET delivered again is accepted again (its first delivery used the state up).
        if (await storage.receivedSets.has(accountId, id, jti)) return async () => undefined;
        if (!(await storage.subscriptions.consumeState(accountId, id, state, now))) throw setError('invalid_state', 'this verification state was never requested');
      }
    }
    const record: ReceivedSet = {
      accountId, subscriptionId: id, jti, issuer: sub.issuer, eventType: v.eventType, subject: v.subject, claims: v.claims,
      receivedAt: now, state: 'pending', outcome: null,
    };
    // SSF §3.6: an event naming a critical subject member riskwire cannot process is discarded —
    // accepted and kept for investigation, never acted on.
    const critical = sub.managed?.criticalSubjectMembers ?? [];
    const member = critical.length ? unprocessableCriticalMember(v.subject, critical) : null;
    if (member) {
      const kept = await storage.receivedSets.insert({ ...record, state: 'processed', outcome: `discarded: critical subject member "${member}" cannot be processed (SSF §3.6)` }, held.revision);
      if (kept === 'stale') throw new StaleSubscription();
      return async () => undefined;
    }
    // A verification's state is already consumed (in a write of its own, with the subscription
    // read now): checking the revision again could refuse the verification it just accepted.
    const stored = await storage.receivedSets.insert(record, v.eventType === EVENT.verification ? undefined : held.revision);
    if (stored === 'stale') throw new StaleSubscription();
    // last_event_at is informational: written at most once a second per subscription (by this
    // process), so a busy stream does not write the subscription on every SET; only that field.
    const touchKey = `${accountId}/${id}`;
    if (now.getTime() - (touched.get(touchKey) ?? 0) >= 1000) {
      if (touched.size >= 10_000) touched.clear();
      touched.set(touchKey, now.getTime());
      await storage.subscriptions.touchLastEvent(accountId, id, now);
    }
    if (!stored) return async () => undefined; // a redelivery: answered as new, not processed again
    if (via === 'poll') return () => process([record]);
    return async () => {
      inFlight.add(flightKey(record));
      await pushed.add(record, 1);
    };
  };

  const service = {
    pushEndpoint,
    /** Static mode (like Okta's providers API): issuer + JWKS URL + audience, for transmitters that only push. */
    async registerStatic(accountId: string, input: { issuer: string; jwks_uri: string; audience?: string | undefined }, actor: string): Promise<Subscription> {
      await deps.outboundUrls.check(input.jwks_uri, 'jwks_uri');
      const id = randomBytes(12).toString('hex');
      const s: Subscription = {
        accountId, id, mode: 'static', issuer: input.issuer, jwksUri: input.jwks_uri, audience: input.audience ?? pushEndpoint(accountId, id),
        streamId: null, pushAuthorizationSealed: null, managed: null, pendingStates: [], status: 'active', lastError: null, verifiedAt: null, lastEventAt: null, createdAt: deps.now(),
      };
      await storage.subscriptions.insert(s);
      await audit(accountId, actor, 'transmitter.registered', id, { mode: 'static', issuer: s.issuer });
      return s;
    },
    async get(accountId: string, id: string): Promise<Subscription> {
      const s = await storage.subscriptions.get(accountId, id);
      if (!s) throw errors.notFound(`transmitter "${id}" not found`);
      return s;
    },
    list: (accountId: string) => storage.subscriptions.list(accountId),
    /** Managed mode: riskwire creates and manages its stream at the transmitter. */
    async registerManaged(accountId: string, input: RegisterManagedInput, actor: string): Promise<Subscription> {
      const s = await registerManaged(
        { storage, secrets: deps.secrets, fetch, outboundUrls: deps.outboundUrls, allowPrivateNetwork: deps.config.allowPrivateNetwork, pushEndpoint, now: deps.now },
        accountId, input, defaultEvents,
      );
      await audit(accountId, actor, 'transmitter.registered', s.id, { mode: 'managed', issuer: s.issuer, stream_id: s.streamId, status: s.status });
      return s;
    },
    async delete(accountId: string, id: string, actor: string): Promise<void> {
      const sub = await storage.subscriptions.get(accountId, id);
      if (!sub) throw errors.notFound(`transmitter "${id}" not found`);
      if (sub.managed && sub.streamId && sub.status === 'active') {
        // Unregistering deletes our stream at the transmitter; a failure there is logged, not fatal.
        try {
          const r = await managedClient(sub).call('DELETE', `${sub.managed.configurationEndpoint}?stream_id=${encodeURIComponent(sub.streamId)}`);
          if (r.status !== 204 && r.status !== 404) deps.logger.warn('deleting the stream at the transmitter failed', { issuer: sub.issuer, status: r.status });
        } catch (err) {
          deps.logger.warn('deleting the stream at the transmitter failed', { issuer: sub.issuer, error: err });
        }
      }
      await storage.subscriptions.delete(accountId, id);
      clients.delete(`${accountId}/${id}`);
      await audit(accountId, actor, 'transmitter.deleted', id);
    },

    /**
     * A pushed SET. Answers (by returning) only once the SET is stored; a repeated jti is accepted
     * again and processed once (RFC 8935 §2). Returns a function for the caller to run before
     * answering 202: a pushed SET is queued for scoring after the answer (RFC 8935 §2: validate,
     * persist, answer, then act; under overload it waits for room in the queue, and the answer
     * with it); a polled one is processed before the function resolves.
     */
    async receive(accountId: string, id: string, jws: string, authorization: string | undefined, via: 'push' | 'poll' = 'push'): Promise<() => Promise<void>> {
      // The subscription this process kept, unread: the write that stores the SET confirms its
      // revision (ReceivedSetStore.insert). A refusal with it, or a change found by that write
      // (a new credential, status or key location, made anywhere), starts over with the
      // subscription read again — so a SET is only ever refused by the subscription as it is now.
      const kept = subscriptions.kept(accountId, id);
      let fresh: Held<Subscription> | null | undefined;
      if (kept) {
        try {
          return await receiveWith(kept, false, accountId, id, jws, authorization, via);
        } catch (err) {
          if (!(err instanceof StaleSubscription) && !(err instanceof ServiceError)) throw err;
          fresh = await subscriptions.read(accountId, id);
          // Refused by the kept subscription, which is still the subscription: the refusal stands.
          if (err instanceof ServiceError && fresh === kept) throw err;
        }
      }
      for (let attempt = 1; ; attempt++) {
        const held = attempt === 1 && fresh !== undefined ? fresh : await subscriptions.read(accountId, id);
        if (!held) throw errors.notFound('unknown push endpoint');
        try {
          return await receiveWith(held, true, accountId, id, jws, authorization, via);
        } catch (err) {
          // Changed again between the read and the write, repeatedly: the transmitter retries later.
          if (!(err instanceof StaleSubscription)) throw err;
          if (attempt >= 3) throw errors.unavailable('the subscription is being changed; retry');
        }
      }
    },

    /**
     * One round of RFC 8936 polling for every managed poll subscription: acknowledges what the last
     * round stored, reports invalid SETs in setErrs (with Content-Language), and stores new ones
     * before they are acknowledged in the next round. Errors back a subscription off.
     */
    async pollOnce(): Promise<number> {
      let n = 0;
      for (const account of await storage.accounts.list()) {
        for (const sub of await storage.subscriptions.list(account.id)) {
          if (sub.mode !== 'managed' || sub.status !== 'active' || sub.managed?.delivery !== 'poll') continue;
          const key = `${sub.accountId}/${sub.id}`;
          const state = polls.get(key) ?? { acks: [], errs: {}, backoffUntil: 0, failures: 0 };
          if (Date.now() < state.backoffUntil) continue;
          // One subscription's failure (its transmitter, or storing what it sent) backs that one
          // off and is reported on it; the others are still polled this round.
          const failed = async (why: string) => {
            state.failures++;
            state.backoffUntil = Date.now() + Math.min(60_000, 1000 * 2 ** state.failures);
            polls.set(key, state);
            if (sub.lastError !== why) await storage.subscriptions.setLastError(sub.accountId, sub.id, why);
          };
          try {
            if (!sub.managed.pollEndpoint) {
              await failed('the transmitter gave no endpoint_url to poll');
              continue;
            }
            n += await pollSubscription(sub, sub.managed.pollEndpoint, state, key, failed);
          } catch (err) {
            deps.logger.error('polling a transmitter failed', { account: sub.accountId, subscription: sub.id, error: err });
            await failed(`polling failed: ${(err as Error).message}`).catch(() => undefined);
          }
        }
      }
      return n;
    },

    /**
     * Managed mode: the stream's status at the transmitter (SSF §8.1.2), read or set, and subjects
     * added or removed (SSF §8.1.3). Answers with the transmitter's status code and body.
     */
    async manage(accountId: string, id: string, op: 'get-status' | 'set-status' | 'add-subject' | 'remove-subject', body: Record<string, unknown> = {}) {
      const sub = await storage.subscriptions.get(accountId, id);
      if (!sub) throw errors.notFound(`transmitter "${id}" not found`);
      if (!sub.managed || !sub.streamId || sub.status !== 'active') throw errors.conflict('only an active managed subscription has a stream to manage');
      const m = sub.managed;
      const endpoint = op === 'get-status' || op === 'set-status' ? m.statusEndpoint : op === 'add-subject' ? m.addSubjectEndpoint : m.removeSubjectEndpoint;
      if (!endpoint) throw errors.conflict(`the transmitter publishes no ${op.endsWith('status') ? 'status' : op === 'add-subject' ? 'add_subject' : 'remove_subject'}_endpoint`);
      const client = managedClient(sub);
      const r = op === 'get-status'
        ? await client.call('GET', `${endpoint}${endpoint.includes('?') ? '&' : '?'}stream_id=${encodeURIComponent(sub.streamId)}`)
        : await client.call('POST', endpoint, { ...body, stream_id: sub.streamId });
      return { status: r.status, body: r.json };
    },

    /**
     * Processes SETs a crash (or a failed scoring) left stored but unprocessed. Skips those this
     * process is scoring now, and those younger than the recovery age
     * (RISKWIRE_RISK_RECOVERY_AGE_SECONDS), which another instance on the same MongoDB may be
     * scoring now (scored twice, a SET keeps its first outcome and counts once).
     */
    async recover(): Promise<number> {
      const now = deps.now().getTime();
      const stale = (await storage.receivedSets.pending(200)).filter((r) => !inFlight.has(flightKey(r)) && now - r.receivedAt.getTime() >= deps.config.risk.recoveryAgeMs);
      if (stale.length) await processReceived(processDeps, stale);
      return stale.length;
    },
    /** Resolves once the pushed SETs queued for scoring are scored (shutdown). */
    idle: () => pushed.idle(),
    sets: (accountId: string, id: string, limit: number) => storage.receivedSets.list(accountId, id, limit),
  };
  return service;
}

export type ReceiverService = ReturnType<typeof receiverService>;
