import type { z } from 'zod';
import { errors } from '../../domain/errors.js';
import type { ParsedVendorEvent } from '../vendor.js';
import { falconUser } from './identity.js';
import { severityBehavior, severityLevel, ztaBehavior, type CrowdStrikeMapping } from './mapping.js';
import { EppDetection, IdentityIncident, IdpDetection, LegacyDetection, StreamEnvelope, WorkflowDetection, ZtaAssessment } from './schema.js';

/*
 * Turns each kind of Falcon webhook body into the vendor event riskwire records (vendors
 * reference §4.2-§4.4): its idempotency key, its kind and the signal it raises, or why none.
 */

export interface EventOptions { readonly mapping: CrowdStrikeMapping; readonly upnIsEmail: boolean }

/** Parses `value` or throws a 400 naming the first bad field, e.g. `event.UserName is required`. */
function read<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'the body';
  throw errors.badRequest(`${field} ${issue.message}`);
}

/** Epoch seconds, milliseconds or 100-ns ticks by digit count (§4.2, the Elastic rule), or ISO 8601. */
export function toInstant(v: number | string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  let ms: number;
  if (typeof v === 'string' && !/^\d+$/.test(v.trim())) ms = Date.parse(v);
  else {
    const n = Number(v);
    const digits = Math.trunc(n).toString().length;
    ms = digits <= 11 ? n * 1000 : digits <= 14 ? n : digits <= 18 && digits >= 17 ? n / 10_000 - 11_644_473_600_000 : NaN;
  }
  return Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? new Date(ms) : undefined;
}

/** What every detection-like event carries once read. */
interface Detection {
  key: string; kind: string; scaleOf: string;
  user: { name?: string | undefined; domain?: string | undefined; email?: string | undefined };
  severity?: number | string | undefined; severityName?: string | undefined; severityField: string; status?: string | undefined;
  occurredAt?: Date | undefined; details: Record<string, unknown>;
}

/** Scores a detection: severity → behavior, user → identifiers; recorded and ignored with a reason otherwise. */
function detectionEvent(d: Detection, o: EventOptions): ParsedVendorEvent {
  const base = { eventId: d.key, kind: d.kind };
  const sev = severityLevel(o.mapping, d.scaleOf, d.severity, d.severityName);
  if ('error' in sev) throw errors.badRequest(`${d.severityField} ${sev.error}`);
  const all: Record<string, unknown> = { ...d.details, severity: d.severity, severity_name: d.severityName, severity_level: sev.level, severity_scale: sev.scale ?? undefined };
  const details: Record<string, unknown> = {};
  for (const k in all) if (all[k] !== undefined) details[k] = all[k];
  if (d.status && o.mapping.ignored_statuses.some((s) => s.toLowerCase() === d.status!.toLowerCase())) return { ...base, signal: null, ignored: `status ${d.status} is not scored` };
  const behavior = severityBehavior(o.mapping, sev.level);
  if (!behavior) return { ...base, signal: null, ignored: `severity ${sev.level} is not scored` };
  const who = falconUser(d.user, { upnIsEmail: o.upnIsEmail, ignoredUsers: o.mapping.ignored_users });
  if ('ignored' in who) return { ...base, signal: null, ignored: who.ignored };
  return { ...base, signal: { id: `crowdstrike:${d.key}`, behavior, user: who.user, occurredAt: d.occurredAt, source: 'crowdstrike', details } };
}

/** Canonical spelling of each mapped Event Streams type (§4.2 notes `EPPDetectionSummaryEvent` too). */
const STREAM_TYPES = new Map(['DetectionSummaryEvent', 'EppDetectionSummaryEvent', 'IdpDetectionSummaryEvent', 'IdentityProtectionEvent'].map((t) => [t.toLowerCase(), t]));

/**
 * An Event Streams event (§4.2). The detection (or incident) id is the idempotency key: the same
 * detection counts once however often and through whichever partition it arrives (offsets are
 * per partition, §4.1). Unmapped types are recorded by customer, type and offset.
 */
export function fromStream(body: unknown, o: EventOptions): ParsedVendorEvent {
  const env = read(StreamEnvelope, body, '');
  const m = env.metadata;
  const type = STREAM_TYPES.get(m.eventType.toLowerCase());
  const occurredAt = toInstant(m.eventCreationTime);
  const meta = { event_type: type ?? m.eventType, customer_id: m.customerIDString, offset: m.offset };
  if (!type) {
    if (m.offset === undefined) throw errors.badRequest('metadata.offset is required');
    return { eventId: `${m.eventType}:${m.customerIDString ?? '-'}:${m.offset}`, kind: m.eventType, signal: null, ignored: `event type ${m.eventType} is not mapped` };
  }
  const common = { kind: type, scaleOf: type, severityField: 'event.Severity', occurredAt };
  const link = (e: { FalconHostLink?: string | undefined }) => e.FalconHostLink;
  if (type === 'EppDetectionSummaryEvent') {
    const e = read(EppDetection, env.event, 'event');
    return detectionEvent({ ...common, key: `detection:${e.CompositeId}`, user: { name: e.UserName, domain: e.LogonDomain }, severity: e.Severity, severityName: e.SeverityName,
      details: { ...meta, detection_id: e.CompositeId, falcon_link: link(e), user_name: e.UserName, logon_domain: e.LogonDomain, host: e.Hostname, agent_id: e.AgentId, name: e.Name, tactic: e.Tactic, technique: e.Technique } }, o);
  }
  if (type === 'DetectionSummaryEvent') {
    const e = read(LegacyDetection, env.event, 'event');
    return detectionEvent({ ...common, key: `detection:${e.DetectId}`, user: { name: e.UserName, domain: e.MachineDomain }, severity: e.Severity, severityName: e.SeverityName,
      details: { ...meta, detection_id: e.DetectId, falcon_link: link(e), user_name: e.UserName, machine_domain: e.MachineDomain, host: e.ComputerName, name: e.DetectName, tactic: e.Tactic, technique: e.Technique } }, o);
  }
  if (type === 'IdpDetectionSummaryEvent') {
    const e = read(IdpDetection, env.event, 'event');
    return detectionEvent({ ...common, key: `detection:${e.DetectId}`, user: { name: e.SourceAccountName, domain: e.SourceAccountDomain }, severity: e.Severity, severityName: e.SeverityName,
      details: { ...meta, detection_id: e.DetectId, falcon_link: link(e), user_name: e.SourceAccountName, account_domain: e.SourceAccountDomain, account_sid: e.SourceAccountObjectSid, host: e.SourceEndpointHostName, name: e.DetectName, tactic: e.Tactic, technique: e.Technique } }, o);
  }
  const e = read(IdentityIncident, env.event, 'event');
  return detectionEvent({ ...common, key: `incident:${e.IdentityProtectionIncidentId}`, user: { name: e.UserName }, severity: e.Severity, severityName: e.SeverityName, status: e.State,
    details: { ...meta, incident_id: e.IdentityProtectionIncidentId, falcon_link: link(e), user_name: e.UserName, host: e.EndpointName, name: e.IncidentType, state: e.State } }, o);
}

/** A flat workflow detection (§4.3, riskwire's template in schema.ts). */
export function fromWorkflow(body: unknown, o: EventOptions): ParsedVendorEvent {
  const w = read(WorkflowDetection, body, '');
  const id = w.detection_id ?? w.incident_id;
  if (!id) throw errors.badRequest('detection_id is required (or incident_id)');
  if (!w.user_name && !w.user_email) throw errors.badRequest('user_name is required (or user_email)');
  return detectionEvent({
    key: w.detection_id ? `detection:${w.detection_id}` : `incident:${w.incident_id}`, kind: w.detection_id ? 'workflow_detection' : 'workflow_incident', scaleOf: 'workflow',
    user: { name: w.user_name, domain: w.user_domain, email: w.user_email }, severity: w.severity, severityField: 'severity', status: w.status, occurredAt: toInstant(w.timestamp),
    details: { event_type: 'workflow', detection_id: w.detection_id, incident_id: w.incident_id, falcon_link: w.link, user_name: w.user_name, user_email: w.user_email, host: w.host, name: w.title, status: w.status },
  }, o);
}

/**
 * A workflow payload with a Zero Trust Assessment (§4.4). Keyed by device and `modified_time`
 * (a new assessment counts; the same one again does not), or by the scores when there is none.
 */
export function fromZta(body: unknown, o: EventOptions): ParsedVendorEvent {
  const z = read(ZtaAssessment, body, '');
  const a = z.assessment;
  if (a.overall === undefined && a.os === undefined && a.sensor_config === undefined) throw errors.badRequest('assessment.overall is required (or assessment.os, assessment.sensor_config)');
  if (!z.user_name && !z.user_email) throw errors.badRequest('user_name is required (or user_email)');
  const key = `zta:${z.aid}:${z.modified_time ?? `${a.overall ?? '-'}/${a.os ?? '-'}/${a.sensor_config ?? '-'}`}`;
  const base = { eventId: key, kind: 'zta_assessment' };
  const hit = ztaBehavior(o.mapping, a);
  if (!hit) return { ...base, signal: null, ignored: `ZTA scores ${JSON.stringify(a)} are above every band` };
  const who = falconUser({ name: z.user_name, domain: z.user_domain, email: z.user_email }, { upnIsEmail: o.upnIsEmail, ignoredUsers: o.mapping.ignored_users });
  if ('ignored' in who) return { ...base, signal: null, ignored: who.ignored };
  const details = Object.fromEntries(Object.entries({ event_type: 'zta_assessment', aid: z.aid, host: z.hostname, modified_time: z.modified_time, overall: a.overall, os: a.os, sensor_config: a.sensor_config, lowest_attribute: hit.attribute, lowest_score: hit.score, user_name: z.user_name, user_email: z.user_email }).filter(([, v]) => v !== undefined));
  return { ...base, signal: { id: `crowdstrike:${key}`, behavior: hit.behavior, user: who.user, occurredAt: toInstant(z.modified_time), source: 'crowdstrike', details } };
}
