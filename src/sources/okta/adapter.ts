import { z } from 'zod';
import { errors, ServiceError } from '../../domain/errors.js';
import type { RiskSignal } from '../../risk/signal.js';
import type { ParsedVendorEvent, VendorAdapter } from '../vendor.js';
import { currentRiskLevel, LEVEL_RANK, loadOktaMapping, strongestLevel, type OktaMapping } from './mapping.js';
import { Delivery, LogEvent } from './schema.js';

const Settings = z.object({}).strict();
type Settings = z.infer<typeof Settings>;

/** The user a LogEvent is about: the target User for risk events, else the actor (email + Okta id). */
function userOf(e: LogEvent, preferTarget: boolean): RiskSignal['user'] | null {
  const target = e.target?.find((t) => t.type === 'User');
  const who = preferTarget && target ? target : e.actor?.type === 'User' || !target ? e.actor : target;
  if (!who) return null;
  const email = who.alternateId && /@/.test(who.alternateId) ? who.alternateId : undefined;
  const identifiers = who.id ? [{ kind: 'okta_user_id' as const, value: who.id }] : [];
  if (!email && !identifiers.length) return null;
  return { email, name: who.displayName, identifiers };
}

/**
 * Okta event hooks (vendors reference §3.4): the one-time GET verification, deliveries
 * authenticated by the Authorization value configured on the hook (compared in constant time),
 * de-duplicated by `data.events[].uuid`, mapped by config/sources/okta.json.
 */
export function oktaEventHook(mapping: OktaMapping = loadOktaMapping()): VendorAdapter<Settings> {
  const toEvent = (raw: unknown, index: number): ParsedVendorEvent => {
    const r = LogEvent.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw errors.badRequest(`data.events[${index}].${issue.path.join('.') || '(event)'}: ${issue.message}`);
    }
    const e = r.data;
    const base = { eventId: e.uuid, kind: e.eventType };
    const occurredAt = e.published && !Number.isNaN(Date.parse(e.published)) ? new Date(e.published) : undefined;
    const details = { okta_event_type: e.eventType, okta_uuid: e.uuid, outcome: e.outcome?.result };
    if (e.eventType === 'security.threat.detected') {
      const level = strongestLevel(e.debugContext?.debugData?.threatDetections);
      if (!level || LEVEL_RANK[level]! < LEVEL_RANK[mapping.threat_detected.min_threat_level]!) return { ...base, signal: null, ignored: `threat level ${level ?? 'none'} below ${mapping.threat_detected.min_threat_level}` };
      const user = userOf(e, false);
      if (!user) return { ...base, signal: null, ignored: 'no user in actor' };
      return { ...base, signal: { id: `okta:${e.uuid}`, behavior: mapping.threat_detected.behavior, user, occurredAt, source: 'okta', details: { ...details, threat_level: level } } };
    }
    if (e.eventType === 'user.risk.change' || e.eventType === 'user.risk.detect') {
      const level = currentRiskLevel(e.debugContext?.debugData?.risk) ?? currentRiskLevel(e.securityContext?.risk);
      if (!level || LEVEL_RANK[level]! < LEVEL_RANK[mapping.user_risk.min_risk_level]!) return { ...base, signal: null, ignored: `risk level ${level ?? 'none'} below ${mapping.user_risk.min_risk_level}` };
      const user = userOf(e, true);
      if (!user) return { ...base, signal: null, ignored: 'no target user' };
      return { ...base, signal: { id: `okta:${e.uuid}`, behavior: mapping.user_risk.behavior, user, occurredAt, source: 'okta', details: { ...details, risk_level: level } } };
    }
    if (mapping.record_only.includes(e.eventType) || e.eventType.startsWith('user.authentication.')) {
      const failed = ['FAILURE', 'DENY'].includes(String(e.outcome?.result ?? '').toUpperCase());
      return { ...base, signal: null, ignored: failed ? `recorded for investigation: ${e.outcome?.result}${e.outcome?.reason ? ` (${e.outcome.reason})` : ''}` : 'recorded for investigation' };
    }
    return { ...base, signal: null, ignored: `event type ${e.eventType} is not mapped` };
  };

  return {
    type: 'okta_event_hook',
    settings: Settings,
    async authenticate(req, ctx) {
      // The hook's authScheme HEADER value arrives verbatim in Authorization (no HMAC, §3.4).
      const given = req.headers.authorization;
      if (!given || !ctx.safeEqual(given, ctx.secret)) throw new Error('authorization mismatch');
    },
    parse(req) {
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody.toString('utf8'));
      } catch {
        throw errors.badRequest('the body is not JSON');
      }
      const d = Delivery.safeParse(body);
      if (!d.success) throw errors.badRequest(d.error.issues[0]!.message.includes('required') ? 'data.events is required' : `data.events: ${d.error.issues[0]!.message}`);
      return d.data.data.events.map((raw, i) => {
        try {
          return toEvent(raw, i);
        } catch (err) {
          // Nothing a vendor sends may surface as a 500: anything unexpected is a malformed event.
          if (err instanceof ServiceError) throw err;
          throw errors.badRequest(`data.events[${i}] is malformed`, { cause: err });
        }
      });
    },
    async handleGet(req) {
      // The one-time verification: echo the challenge (§3.4); Okta sends no other GET.
      const challenge = req.headers['x-okta-verification-challenge'];
      if (!challenge || challenge.length > 1024) return { status: 400, body: { error: 'invalid_request', error_description: 'X-Okta-Verification-Challenge is required' } };
      return { status: 200, body: { verification: challenge } };
    },
  };
}
