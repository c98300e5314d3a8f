import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import { errors, ServiceError } from '../domain/errors.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { randomId, safeEqual } from '../crypto/tokens.js';
import type { Logger } from '../observability/logger.js';
import type { IngestSignals } from '../risk/ingest-signals.js';
import type { RiskSignal } from '../risk/signal.js';
import { scoringQueue } from '../risk/scoring-queue.js';
import { revisionCache, type Held } from '../storage/revision-cache.js';
import type { Storage } from '../storage/ports.js';
import type { Source, SourceType } from '../storage/source-ports.js';
import type { AuthContext, ParsedVendorEvent, VendorAdapter, WebhookRequest } from './vendor.js';

/** Webhook deliveries scored together at most, and events waiting in memory at most (scoring-queue.ts). */
const DELIVERY_BATCH = 500;
const DELIVERY_QUEUE = 20_000;

/** A signal as kept with its event until scored: the stores keep its JSON text (dates become ISO strings, revived below). */
const keptSignal = (signal: RiskSignal): Readonly<Record<string, unknown>> => signal as unknown as Readonly<Record<string, unknown>>;
const revivedSignal = (kept: Readonly<Record<string, unknown>>): RiskSignal => {
  const s = kept as unknown as RiskSignal & { occurredAt?: string | Date };
  return s.occurredAt === undefined ? s : { ...s, occurredAt: new Date(s.occurredAt) };
};

/** A generated webhook secret: 256 random bits, prefixed so it is recognisable in a vendor console. */
const newWebhookSecret = () => `rwsrc_${randomBytes(32).toString('base64url')}`;
const secretContext = (s: { accountId: string; id: string }) => `${s.accountId}/sources/${s.id}/secret`;
/** Where sealed credential settings live inside the stored settings (never shown, see visibleSettings). */
const SEALED_SETTINGS = '_sealed';

/** A webhook source as the hot path keeps it: its secret and credential settings opened, in memory only. */
type WebhookContext = AuthContext<Record<string, unknown>>;

/**
 * The delivery must start over with the source read again: it changed since the delivery began
 * with it (SourceStore.recordDelivery answered 'stale'), or the kept source refused it
 * (`refusal`, which stands if the source read again is the same).
 */
class StaleSource extends Error {
  constructor(readonly refusal?: ServiceError) {
    super('the source changed');
  }
}

/** A source's settings as shown to operators (API and CLI): credentials only as "set", never their values. */
export function visibleSettings(s: Source): Record<string, unknown> {
  const { [SEALED_SETTINGS]: sealed, ...settings } = s.settings as Record<string, unknown>;
  for (const key of Object.keys((sealed as Record<string, string> | undefined) ?? {})) settings[key] = 'set';
  return settings;
}

/**
 * Sources of one account (sources issue): CRUD with the shared secret generated, sealed and shown
 * once; and the shared webhook pipeline every vendor adapter plugs into — authenticate, parse,
 * record each vendor event once, answer, then score.
 */
export function sourcesService(deps: {
  config: Config; storage: Storage; secrets: SecretBox; now: Clock; logger: Logger; ingest: IngestSignals;
  adapters: ReadonlyMap<SourceType, VendorAdapter<any>>; onAuthFailure: (type: SourceType) => void;
}) {
  const { storage } = deps;
  const adapterOf = (type: SourceType) => {
    const a = deps.adapters.get(type);
    if (!a) throw errors.badRequest(`source type "${type}" is not available`);
    return a;
  };
  const webhookUrl = (s: Pick<Source, 'accountId' | 'id'>) => `${deps.config.publicUrl}/sources/${s.accountId}/${s.id}`;
  const audit = (accountId: string, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    storage.auditLog.append({ id: randomId(), accountId, at: deps.now(), actor, action, target, details });
  const settingsOf = (a: VendorAdapter<any>, raw: unknown) => {
    const r = a.settings.safeParse(raw ?? {});
    if (!r.success) {
      throw errors.badRequest(`invalid settings: ${r.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ')}`, {
        fields: r.error.issues.map((i) => ({ path: `/body/settings/${i.path.join('/')}`.replace(/\/$/, ''), message: i.message })),
      });
    }
    return r.data as Record<string, unknown>;
  };
  /** Seals the adapter's credential settings; the stored settings keep only their sealed form. */
  const sealSettings = (a: VendorAdapter<any>, s: { accountId: string; id: string }, settings: Record<string, unknown>) => {
    const out: Record<string, unknown> = { ...settings };
    const sealed: Record<string, string> = {};
    for (const key of a.secretSettings ?? []) {
      if (typeof out[key] === 'string') sealed[key] = deps.secrets.seal(out[key] as string, `${s.accountId}/sources/${s.id}/settings/${key}`);
      delete out[key];
    }
    if (Object.keys(sealed).length) out[SEALED_SETTINGS] = sealed;
    return out;
  };
  /** The settings as the adapter sees them: credentials opened, in memory only. */
  const openSettings = (source: Source): Record<string, unknown> => {
    const { [SEALED_SETTINGS]: sealed, ...rest } = source.settings as Record<string, unknown>;
    for (const [key, value] of Object.entries((sealed as Record<string, string> | undefined) ?? {})) {
      rest[key] = deps.secrets.open(value, `${source.accountId}/sources/${source.id}/settings/${key}`).toString('utf8');
    }
    return rest;
  };
  const context = (source: Source): WebhookContext => ({
    source,
    settings: openSettings(source),
    secret: deps.secrets.open(source.secretSealed, secretContext(source)).toString('utf8'),
    safeEqual,
  });

  /**
   * A webhook request's source with its secret and credentials opened, rebuilt only when the
   * source's revision changed (revision-cache.ts: a short read instead of the whole row, two
   * openings and the settings parses on every request). A rotated secret, new settings or a
   * deletion, made anywhere, applies to the next request.
   */
  const contexts = revisionCache({
    revision: (accountId, id) => storage.sources.revision(accountId, id),
    load: async (accountId, id) => {
      const source = await storage.sources.get(accountId, id);
      return source ? context(source) : null;
    },
  });
  const webhookContext = (accountId: string, id: string) => contexts.current(accountId, id);

  /** Events this process is scoring now, which recovery must leave alone. */
  const inFlight = new Set<string>();
  const flightKey = (accountId: string, sourceId: string, eventId: string) => `${accountId}/${sourceId}/${eventId}`;
  /** Scores the signals of one source's events, in order, and records each outcome (which drops the kept signal). */
  const score = async (accountId: string, sourceId: string, events: ReadonlyArray<{ eventId: string; signal: RiskSignal }>) => {
    const keys = events.map((e) => flightKey(accountId, sourceId, e.eventId));
    for (const k of keys) inFlight.add(k);
    try {
      const result = await deps.ingest(accountId, events.map((e) => e.signal));
      await storage.sources.setOutcomes(accountId, sourceId, events.map((e, i) => {
        const item = result.items[i]!;
        return { eventId: e.eventId, outcome: item.status === 'accepted' ? `scored: ${e.signal.behavior} for user ${item.userId ?? '?'}` : `${item.status}${item.reason ? `: ${item.reason}` : ''}` };
      }));
    } finally {
      for (const k of keys) inFlight.delete(k);
    }
  };

  type Delivery = { accountId: string; sourceId: string; events: ReadonlyArray<{ eventId: string; signal: RiskSignal }> };
  /**
   * Scores deliveries grouped by source: the events of one source in one engine call, in arrival
   * order; the sources concurrently. A source whose scoring fails is logged and its events stay
   * unscored for recovery. Returns how many events were scored.
   */
  const scoreBySource = async (deliveries: readonly Delivery[], what: string): Promise<number> => {
    const bySource = new Map<string, { accountId: string; sourceId: string; events: Array<{ eventId: string; signal: RiskSignal }> }>();
    for (const d of deliveries) {
      const k = `${d.accountId}/${d.sourceId}`;
      let group = bySource.get(k);
      if (!group) bySource.set(k, (group = { accountId: d.accountId, sourceId: d.sourceId, events: [] }));
      group.events.push(...d.events);
    }
    const scored = await Promise.all([...bySource.values()].map(async (g) => {
      try {
        await score(g.accountId, g.sourceId, g.events);
        return g.events.length;
      } catch (err) {
        deps.logger.error(`scoring ${what} failed; they stay unscored until recovery`, { account: g.accountId, source: g.sourceId, events: g.events.length, error: err });
        return 0;
      }
    }));
    return scored.reduce((a, b) => a + b, 0);
  };
  /**
   * Webhook deliveries are scored after their answer, in batches (scoring-queue.ts). They are in
   * flight from queuing on (so recovery leaves them alone) until `score` is done with them.
   */
  const delivered = scoringQueue<Delivery>((batch) => scoreBySource(batch, 'source events').then(() => undefined),
    { maxBatch: DELIVERY_BATCH, maxQueued: DELIVERY_QUEUE, gatherMs: deps.config.risk.batchWaitMs, onError: (err) => deps.logger.error('scoring source events failed', { error: err }) });

  /**
   * A delivery refused before any event was recorded, listed with the source's events for
   * investigation: rejected (malformed, never retried to success) or deferred (a 503 — the
   * vendor's own API could not confirm it now — so the vendor delivers it again).
   */
  const recordRefusal = async (source: Source, at: Date, err: unknown, nonce?: string, revision?: string) => {
    const kind = err instanceof ServiceError && err.status === 503 ? 'deferred' : 'rejected';
    const event = { accountId: source.accountId, sourceId: source.id, eventId: `${kind}-${randomId(8)}`, kind, receivedAt: at, outcome: `${kind}: ${(err as Error).message}` };
    const recorded = await storage.sources.recordDelivery(source.accountId, source.id, [event], claimOf(nonce, at), revision);
    if (recorded === 'stale') throw new StaleSource();
    if (recorded === 'replayed') throw replayed(source);
  };
  const claimOf = (nonce: string | undefined, at: Date) => (nonce === undefined ? undefined : { value: nonce, at });
  /** A signed request seen before: an authentication failure (401 without detail, counted). */
  const replayed = (source: Source) => {
    deps.onAuthFailure(source.type);
    return errors.unauthorized('authentication failed', { cause: new Error('signature replayed') });
  };

  /**
   * Records each parsed event once (a retry is a no-op), with its signal until scored, and returns
   * the new ones to score; claims the request's nonce in the same write (a replay records nothing).
   */
  const recordParsed = async (source: Source, parsed: ParsedVendorEvent[], receivedAt: Date, nonce?: string, revision?: string) => {
    const { accountId, id } = source;
    const events = parsed.map((e) => ({
      accountId, sourceId: id, eventId: e.eventId, kind: e.kind, receivedAt,
      outcome: e.signal ? 'received' : `ignored: ${e.ignored ?? 'no mapping'}`, signal: e.signal ? keptSignal(e.signal) : null,
    }));
    const recorded = await storage.sources.recordDelivery(accountId, id, events, claimOf(nonce, receivedAt), revision);
    if (recorded === 'stale') throw new StaleSource();
    if (recorded === 'replayed') throw replayed(source);
    const fresh = parsed.flatMap((e, i) => (recorded[i] && e.signal ? [{ eventId: e.eventId, signal: e.signal }] : []));
    const duplicates = recorded.filter((r) => !r).length;
    return { accepted: parsed.length - duplicates, duplicates, fresh };
  };

  /** One webhook delivery with a given source (receive). Throws StaleSource when it changed since `held` was read. */
  const receiveWith = async (held: Held<WebhookContext>, confirmed: boolean, req: WebhookRequest) => {
    const ctx = held.value;
    const { source } = ctx;
    const adapter = adapterOf(source.type);
    // A parse that calls the vendor's API must not run with credentials the source no longer has.
    if (!confirmed && adapter.callsVendor?.(ctx.settings)) throw new StaleSource();
    let nonce: string | undefined;
    try {
      nonce = (await adapter.authenticate(req, ctx))?.nonce;
    } catch (err) {
      const refusal = errors.unauthorized('authentication failed', { cause: err });
      // The kept secret may be one rotated since: only the source as it is now may refuse.
      if (!confirmed) throw new StaleSource(refusal);
      deps.onAuthFailure(source.type);
      throw refusal;
    }
    let parsed;
    try {
      parsed = await adapter.parse(req, { source, settings: ctx.settings });
    } catch (err) {
      await recordRefusal(source, req.now, err, nonce, held.revision);
      throw err;
    }
    // A replay is refused here, after parsing: its nonce is claimed in the write that records
    // the delivery (one commit, not two). A replayed body costs a parse, within the body limit.
    const { accepted, duplicates, fresh } = await recordParsed(source, parsed, req.now, nonce, held.revision);
    const { accountId, id } = source;
    return {
      accepted,
      duplicates,
      process: async () => {
        if (!fresh.length) return;
        for (const e of fresh) inFlight.add(flightKey(accountId, id, e.eventId));
        await delivered.add({ accountId, sourceId: id, events: fresh }, fresh.length);
      },
    };
  };

  return {
    webhookUrl,
    /** `opts.secret`: the webhook secret a declarative file names (sources/); generated otherwise. */
    async create(accountId: string, input: { type: SourceType; name: string; settings?: unknown }, actor: string, opts: { secret?: string } = {}) {
      const adapter = adapterOf(input.type);
      const id = randomBytes(12).toString('hex');
      const settings = sealSettings(adapter, { accountId, id }, settingsOf(adapter, input.settings));
      const secret = opts.secret ?? newWebhookSecret();
      const now = deps.now();
      const source: Source = { accountId, id, type: input.type, name: input.name, settings, secretSealed: deps.secrets.seal(secret, secretContext({ accountId, id })), createdAt: now, updatedAt: now };
      await storage.sources.insert(source);
      await audit(accountId, actor, 'source.created', id, { type: input.type, name: input.name });
      return { source, secret };
    },
    async get(accountId: string, id: string) {
      const s = await storage.sources.get(accountId, id);
      if (!s) throw errors.notFound(`source "${id}" not found`);
      return s;
    },
    list: (accountId: string) => storage.sources.list(accountId),
    async update(accountId: string, id: string, input: { name?: string | undefined; settings?: unknown; rotate_secret?: boolean | undefined }, actor: string) {
      const s = await this.get(accountId, id);
      const adapter = adapterOf(s.type);
      // Settings are patched as JSON Merge Patch (RFC 7396): a key given replaces its value, a key
      // given as null is removed (a credential with its sealed value), a key left out stays.
      let settings = s.settings;
      if (input.settings !== undefined) {
        const merged = openSettings(s);
        for (const [key, value] of Object.entries(input.settings as Record<string, unknown>)) {
          if (value === null) delete merged[key];
          else merged[key] = value;
        }
        settings = sealSettings(adapter, s, settingsOf(adapter, merged));
      }
      const secret = input.rotate_secret ? newWebhookSecret() : null;
      const next: Source = { ...s, name: input.name ?? s.name, settings, secretSealed: secret ? deps.secrets.seal(secret, secretContext(s)) : s.secretSealed, updatedAt: deps.now() };
      await storage.sources.update(next);
      await audit(accountId, actor, 'source.updated', id, { name: next.name, secret_rotated: Boolean(secret) });
      return { source: next, secret };
    },
    /**
     * A declared source (sources/ files) brought to its declared settings (replaced whole) and
     * secret; 'unchanged' when it already has them, so a restart writes nothing.
     */
    async applyDeclared(s: Source, declared: { settings: Record<string, unknown>; secret: string }): Promise<'updated' | 'unchanged'> {
      const adapter = adapterOf(s.type);
      const wanted = settingsOf(adapter, declared.settings);
      const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
      const secretChanged = !safeEqual(deps.secrets.open(s.secretSealed, secretContext(s)).toString('utf8'), declared.secret);
      if (!secretChanged && same(openSettings(s), wanted)) return 'unchanged';
      const next: Source = {
        ...s, settings: sealSettings(adapter, s, wanted), updatedAt: deps.now(),
        secretSealed: secretChanged ? deps.secrets.seal(declared.secret, secretContext(s)) : s.secretSealed,
      };
      await storage.sources.update(next);
      await audit(s.accountId, 'sources/', 'source.updated', s.id, { name: s.name, secret_rotated: secretChanged, declared: true });
      return 'updated';
    },
    async delete(accountId: string, id: string, actor: string) {
      if (!(await storage.sources.delete(accountId, id))) throw errors.notFound(`source "${id}" not found`);
      await audit(accountId, actor, 'source.deleted', id);
    },
    events: (accountId: string, id: string, limit: number) => storage.sources.listEvents(accountId, id, limit),

    /** A vendor's GET (Okta's verification challenge). */
    async receiveGet(accountId: string, id: string, req: WebhookRequest) {
      const ctx = await webhookContext(accountId, id);
      const adapter = ctx ? deps.adapters.get(ctx.source.type) : undefined;
      if (!ctx || !adapter?.handleGet) throw errors.notFound('unknown webhook');
      return adapter.handleGet(req, ctx);
    },

    /**
     * Sources of every account whose stored settings satisfy `wants` (pull connectors decide
     * which, from settings that are not credentials), with credential settings opened in memory
     * only — and only for those sources.
     */
    async pullTargets(type: SourceType, wants: (settings: Record<string, unknown>) => boolean) {
      const out: Array<{ source: Source; settings: Record<string, unknown> }> = [];
      for (const account of await storage.accounts.list()) {
        for (const source of await storage.sources.list(account.id)) {
          if (source.type === type && deps.adapters.has(type) && wants(source.settings)) out.push({ source, settings: openSettings(source) });
        }
      }
      return out;
    },

    /**
     * An event a pull connector read from the vendor over its own authenticated session (no
     * webhook authentication applies): parsed, recorded once and scored before returning, so the
     * connector may then advance its offset. A malformed event is recorded as rejected and thrown.
     */
    async ingestPulled(source: Source, rawBody: Buffer) {
      const at = deps.now();
      const adapter = adapterOf(source.type);
      let parsed;
      try {
        parsed = await adapter.parse({ method: 'PULL', headers: {}, rawBody, now: at }, { source, settings: openSettings(source) });
      } catch (err) {
        await recordRefusal(source, at, err);
        throw err;
      }
      const { fresh } = await recordParsed(source, parsed, at);
      if (fresh.length) await score(source.accountId, source.id, fresh);
    },

    /**
     * Scores events a crash (or a failed scoring) left recorded but unscored: their vendor was
     * answered, and its retry would be a duplicate, so nothing else would. Skips events this
     * process is scoring now and events younger than the recovery age
     * (RISKWIRE_RISK_RECOVERY_AGE_SECONDS: another instance on the same MongoDB may be scoring
     * them). Returns how many it scored.
     */
    async recover(): Promise<number> {
      const pending = (await storage.sources.unscored(new Date(deps.now().getTime() - deps.config.risk.recoveryAgeMs), 200))
        .filter((e) => !inFlight.has(flightKey(e.accountId, e.sourceId, e.eventId)));
      return scoreBySource(pending.map((e) => ({ accountId: e.accountId, sourceId: e.sourceId, events: [{ eventId: e.eventId, signal: revivedSignal(e.signal) }] })), 'recovered source events');
    },

    /**
     * A vendor's POST: authenticate (401 without detail, counted), parse (400 naming the field),
     * record each event once (a retry is a no-op), and return `process`, which queues the new
     * ones for scoring (resolving once queued: under overload it waits for room, and the answer
     * with it); the caller answers after it — vendors like Okta allow 3 s.
     *
     * The source comes from what this process kept of it, unread; the write that records the
     * delivery confirms its revision (SourceStore.recordDelivery). If the source changed — a
     * rotated secret, new settings, a deletion, made anywhere — nothing was written, and the
     * delivery starts over with the source read again; so does one the kept secret refuses,
     * before it is answered 401.
     */
    async receive(accountId: string, id: string, req: WebhookRequest): Promise<{ accepted: number; duplicates: number; process: () => Promise<void> }> {
      let held = contexts.kept(accountId, id);
      let confirmed = false;
      for (let attempt = 1; ; attempt++) {
        if (!held) {
          held = (await contexts.read(accountId, id)) ?? undefined;
          if (!held) throw errors.notFound('unknown webhook');
          confirmed = true;
        }
        try {
          return await receiveWith(held, confirmed, req);
        } catch (err) {
          if (!(err instanceof StaleSource)) throw err;
          // Changed again between the read and the write, repeatedly: the vendor retries later.
          if (attempt >= 3) throw errors.unavailable('the source is being changed; retry');
          const kept = held;
          held = (await contexts.read(accountId, id)) ?? undefined;
          if (!held) throw errors.notFound('unknown webhook');
          confirmed = true;
          // Refused by the kept source, which is still the source: the refusal stands (no second check).
          if (err.refusal && held === kept) {
            deps.onAuthFailure(held.value.source.type);
            throw err.refusal;
          }
        }
      }
    },

    /** Resolves once the webhook events queued for scoring are scored (shutdown). */
    idle: () => delivered.idle(),
  };
}

export type SourcesService = ReturnType<typeof sourcesService>;
