import type { z } from 'zod';
import { errors, ServiceError } from '../../domain/errors.js';
import type { RiskSignal } from '../../risk/signal.js';
import { guardedFetch } from '../../ssf/outbound/guarded-fetch.js';
import type { Source } from '../../storage/source-ports.js';
import type { ParsedVendorEvent, VendorAdapter, WebhookRequest } from '../vendor.js';
import { decide, loadSentinelOneMapping, normalize, type Facts, type SentinelOneMapping } from './mapping.js';
import { Alert, AlertHint, describeIssue, Threat, ThreatHint, threatIdOf } from './schema.js';
import { DEFAULT_HEADER, SentinelOneSettings } from './settings.js';
import { alertUser, threatUser } from './user.js';
import { fetchFromConsole, type FetchLike } from './verify.js';

export type { SentinelOneSettings } from './settings.js';

/** More threats than this in one push is not a webhook SentinelOne sends; refuse it. */
const MAX_ITEMS = 100;

type Kind = 'threat' | 'alert';
type Item = { raw: unknown; where: string };

const norm = (v: string | null | undefined) => (v ? normalize(v) : undefined);
const dateOf = (...vs: Array<string | null | undefined>) => {
  for (const v of vs) if (v && !Number.isNaN(Date.parse(v))) return new Date(v);
  return undefined;
};
/** Details kept with the risk event: what an investigator needs, never the raw payload. */
const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

/**
 * The threats or alerts of one push. §7.9: the console's webhook and Hyperautomation bodies are
 * templated by the admin, so a single threat (§5.1) or alert (§5.2) object, an array of them, or
 * the API's own `{data: [...]}` list are all taken.
 */
function itemsOf(rawBody: Buffer): Item[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw errors.badRequest('the body is not JSON');
  }
  let items: Item[];
  if (Array.isArray(body)) items = body.map((raw, i) => ({ raw, where: `[${i}]` }));
  else if (body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)) items = ((body as { data: unknown[] }).data).map((raw, i) => ({ raw, where: `data[${i}]` }));
  else if (body && typeof body === 'object') items = [{ raw: body, where: '' }];
  else throw errors.badRequest('the body must be a SentinelOne threat or alert object');
  if (!items.length) throw errors.badRequest('the body holds no threat or alert');
  if (items.length > MAX_ITEMS) throw errors.badRequest(`at most ${MAX_ITEMS} threats or alerts per request`);
  return items;
}

/** An alert carries `alertInfo` (§5.2); a threat `threatInfo` or at least its `id` (§5.1). */
function kindOf(item: Item): Kind {
  const o = item.raw;
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    if ('alertInfo' in o) return 'alert';
    if ('threatInfo' in o || 'id' in o) return 'threat';
  }
  const at = item.where ? `${item.where}: ` : '';
  throw errors.badRequest(`${at}threatInfo or alertInfo is required`);
}

/** Parses with zod; a failure is a 400 naming the first bad field. */
function parseOrReject<T>(schema: z.ZodType<T>, item: Item): T {
  const r = schema.safeParse(item.raw);
  if (r.success) return r.data;
  throw errors.badRequest(describeIssue(r.error.issues[0]!, item.where));
}

/** The signal a threat (§5.1) maps to, or why it raises no risk. */
function threatEvent(t: Threat, source: Source, mapping: SentinelOneMapping, verified: boolean): ParsedVendorEvent {
  const id = threatIdOf(t);
  const info = t.threatInfo;
  const facts: Facts = {
    confidence: norm(info.confidenceLevel), mitigation_status: norm(info.mitigationStatus), incident_status: norm(info.incidentStatus),
    analyst_verdict: norm(info.analystVerdict), classification: norm(info.classification),
  };
  const details = compact({
    sentinelone_kind: 'threat', threat_id: id, threat_name: info.threatName, classification: info.classification, confidence_level: info.confidenceLevel,
    mitigation_status: info.mitigationStatus, incident_status: info.incidentStatus, analyst_verdict: info.analystVerdict,
    computer: t.agentRealtimeInfo?.agentComputerName, agent_id: t.agentRealtimeInfo?.agentId, site: t.agentRealtimeInfo?.siteName,
    sha256: info.sha256, sha1: info.sha256 ? undefined : info.sha1, verified,
  });
  return toEvent('threat', id, facts, threatUser(t, mapping), dateOf(info.identifiedAt, info.createdAt), details, source, mapping);
}

/** The signal an alert (§5.2) maps to, or why it raises no risk. */
function alertEvent(a: Alert, source: Source, mapping: SentinelOneMapping, verified: boolean): ParsedVendorEvent {
  const id = a.alertInfo.alertId;
  const facts: Facts = {
    confidence: norm(a.ruleInfo.treatAsThreat), incident_status: norm(a.alertInfo.incidentStatus),
    analyst_verdict: norm(a.alertInfo.analystVerdict), severity: norm(a.ruleInfo.severity),
  };
  const details = compact({
    sentinelone_kind: 'alert', alert_id: id, rule_name: a.ruleInfo.name, rule_id: a.ruleInfo.id, severity: a.ruleInfo.severity, treat_as_threat: a.ruleInfo.treatAsThreat,
    incident_status: a.alertInfo.incidentStatus, analyst_verdict: a.alertInfo.analystVerdict, event_type: a.alertInfo.eventType,
    computer: a.agentDetectionInfo?.name ?? a.agentRealtimeInfo?.name, agent_id: a.agentRealtimeInfo?.id, verified,
  });
  return toEvent('alert', id, facts, alertUser(a, mapping), dateOf(a.alertInfo.createdAt, a.alertInfo.reportedAt), details, source, mapping);
}

function toEvent(kind: Kind, id: string, facts: Facts, user: RiskSignal['user'] | null, occurredAt: Date | undefined, details: Record<string, unknown>, source: Source, mapping: SentinelOneMapping): ParsedVendorEvent {
  const base = { eventId: id, kind };
  const decision = decide(facts, mapping);
  if ('ignored' in decision) return { ...base, signal: null, ignored: decision.ignored };
  if (!user) return { ...base, signal: null, ignored: `no user on the ${kind} (only OS accounts or none)` };
  // Scoped by source: two consoles of one account may reuse an id.
  return { ...base, signal: { id: `sentinelone:${source.id}:${kind}:${id}`, behavior: decision.behavior, user, occurredAt, source: 'sentinelone', details } };
}

/**
 * SentinelOne threats and alerts pushed by a console webhook or Hyperautomation HTTP action
 * (vendors reference §5): a static shared-secret header compared in constant time (§5.3),
 * payloads parsed with zod (§5.1, §5.2), optionally re-fetched from the Management API before
 * scoring (§5.3), and mapped by config/sources/sentinelone.json. The threat or alert id is the
 * idempotency key, so a retried push never scores twice.
 */
export function sentinelOneAdapter(opts: { mapping?: SentinelOneMapping; fetch?: FetchLike } = {}): VendorAdapter<SentinelOneSettings> {
  const mapping = opts.mapping ?? loadSentinelOneMapping();
  const fetch = opts.fetch ?? guardedFetch({ allowPrivateNetwork: false, timeoutMs: 5_000, maxBytes: 1024 * 1024 });

  const verified = async (kind: Kind, id: string, source: Source, settings: SentinelOneSettings): Promise<ParsedVendorEvent> => {
    if (!settings.api_base_url || !settings.api_token) return { eventId: id, kind, signal: null, ignored: 'verification is on but api_base_url or api_token is missing' };
    const got = await fetchFromConsole(fetch, { baseUrl: settings.api_base_url, token: settings.api_token }, kind, id);
    // Fail closed: what the console did not confirm is recorded, never scored. When it could not
    // answer at all, nothing is recorded and the push is refused with 503, so SentinelOne's retry
    // is not a duplicate of an event recorded as ignored (the issue: nothing lost).
    if ('failed' in got && got.transient) throw errors.unavailable(`the ${kind} could not be verified now (${got.failed}); deliver it again later`);
    if ('failed' in got) return { eventId: id, kind, signal: null, ignored: `not verified: ${got.failed}` };
    const r = (kind === 'threat' ? Threat : Alert).safeParse(got.item);
    if (!r.success) return { eventId: id, kind, signal: null, ignored: `not verified: the API's ${kind} is invalid: ${describeIssue(r.error.issues[0]!, '')}` };
    return kind === 'threat' ? threatEvent(r.data as Threat, source, mapping, true) : alertEvent(r.data as Alert, source, mapping, true);
  };

  const parse = async (req: WebhookRequest, source: Source, settings: SentinelOneSettings): Promise<ParsedVendorEvent[]> => {
    const out: ParsedVendorEvent[] = [];
    // Every item is checked before any API call, so a bad one rejects the push without side effects.
    const items = itemsOf(req.rawBody).map((item) => ({ item, kind: kindOf(item) }));
    if (settings.verify_with_api) {
      const ids = items.map(({ item, kind }) => (kind === 'threat' ? threatIdOf(parseOrReject(ThreatHint, item)) : parseOrReject(AlertHint, item).alertInfo.alertId));
      // One at a time: pushes carry one threat, and the console's API is rate limited.
      for (const [i, { kind }] of items.entries()) out.push(await verified(kind, ids[i]!, source, settings));
      return out;
    }
    for (const { item, kind } of items) {
      out.push(kind === 'threat' ? threatEvent(parseOrReject(Threat, item), source, mapping, false) : alertEvent(parseOrReject(Alert, item), source, mapping, false));
    }
    return out;
  };

  return {
    type: 'sentinelone',
    // The console API token is a credential: sealed at rest, never shown by the API.
    secretSettings: ['api_token'],
    settings: SentinelOneSettings,
    async authenticate(req, ctx) {
      // §5.3: no vendor signature exists; the configured header must carry the source's secret.
      const name = ctx.settings.header_name ?? DEFAULT_HEADER;
      const given = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
      if (typeof given !== 'string' || !ctx.safeEqual(given, ctx.secret)) throw new Error('shared secret header mismatch');
    },
    callsVendor: (settings) => settings.verify_with_api === true,
    async parse(req, ctx) {
      try {
        return await parse(req, ctx.source, ctx.settings);
      } catch (err) {
        if (err instanceof ServiceError) throw err;
        // Nothing a vendor sends may surface as a 500 (issue); the cause is kept for the log.
        throw errors.badRequest('the SentinelOne payload could not be read', { cause: err });
      }
    },
  };
}
