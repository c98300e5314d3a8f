import { z } from 'zod';

/*
 * What riskwire reads from a CrowdStrike Falcon webhook body (vendors reference §4.2-§4.4). Only
 * the fields used are declared; every other field is ignored (zod strips unknown keys). A missing
 * required field fails with its path, e.g. `event.UserName is required`.
 */

/** "is required" when absent, "must be <what>" otherwise: the message names the problem, the path the field. */
const needs = (what: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${what}`) });

const Text = (max = 1024) => z.string(needs('a string')).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** An email address as templated workflows write it (no display name). */
const Email = () => Text(320).regex(/^[^\s@\\]+@[^\s@\\]+\.[^\s@\\]+$/, 'must be an email address');

/** Templated workflow payloads often stringify numbers: "70" is read as 70. */
const numeric = (v: unknown) => (typeof v === 'string' && /^\s*\d{1,15}(\.\d{1,6})?\s*$/.test(v) ? Number(v) : v);

/** A severity: a number (on its event type's scale, §4.2) or a name such as "High". */
export const Severity = z.preprocess(numeric, z.union([
  z.number().min(0, 'must not be negative').max(1000, 'must be at most 1000'),
  Text(32),
], needs('a number or a severity name')));

/** A ZTA score (§4.4): an integer 0-100. */
const Score = z.preprocess(numeric, z.number(needs('a number')).int('must be an integer').min(0, 'must be 0-100').max(100, 'must be 0-100'));

/** Epoch seconds/ms/100-ns ticks (§4.2) or an ISO 8601 string. */
const Instant = z.union([z.number(), z.string().max(64)], needs('a number or a date string'));

/** The Event Streams envelope (§4.2): `{metadata:{eventType, offset, …}, event:{…}}`. */
export const StreamEnvelope = z.object({
  metadata: z.object({
    eventType: Text(100),
    offset: z.number(needs('a number')).int('must be an integer').nonnegative('must not be negative').optional(),
    customerIDString: Text(64).optional(),
    eventCreationTime: z.number(needs('a number')).nonnegative('must not be negative').optional(),
  }, needs('an object')),
  // Only that it is an object: its own schema (by event type) reads it next. A record schema would
  // check and copy every one of its tens of fields first.
  event: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), needs('an object')),
});

const Common = {
  Severity: Severity.optional(),
  SeverityName: Text(32).optional(),
  FalconHostLink: Text(4096).optional(),
  Tactic: Text(200).optional(),
  Technique: Text(200).optional(),
};

/** `DetectionSummaryEvent` (legacy endpoint detections; severity 1-5). */
export const LegacyDetection = z.object({
  ...Common, DetectId: Text(512), UserName: Text(512), MachineDomain: Text(255).optional(), ComputerName: Text(255).optional(), DetectName: Text(1024).optional(),
});

/** `EppDetectionSummaryEvent` (current endpoint detections; severity 0-100). */
export const EppDetection = z.object({
  ...Common, CompositeId: Text(512), UserName: Text(512), LogonDomain: Text(255).optional(), Hostname: Text(255).optional(), Name: Text(1024).optional(), AgentId: Text(64).optional(),
});

/** `IdpDetectionSummaryEvent` (Identity Protection detection; scale undocumented, §7.8). */
export const IdpDetection = z.object({
  ...Common, DetectId: Text(512), SourceAccountName: Text(512), SourceAccountDomain: Text(255).optional(), SourceAccountObjectSid: Text(200).optional(),
  SourceEndpointHostName: Text(255).optional(), DetectName: Text(1024).optional(),
});

/** `IdentityProtectionEvent` (Identity Protection incident; severity 1-5 with INFO…CRITICAL names). */
export const IdentityIncident = z.object({
  ...Common, IdentityProtectionIncidentId: Text(512), UserName: Text(512), EndpointName: Text(255).optional(), IncidentType: Text(200).optional(), State: Text(64).optional(),
});

/**
 * A flat Falcon Fusion workflow payload (§4.3: customer-templated, no fixed schema). riskwire's
 * template follows the observed receiver schema `{incident_id, title, status, severity, host, link,
 * timestamp}` and adds the user: `user_name` (DOMAIN\user, UPN or account name, optionally with
 * `user_domain`) and/or `user_email`. `detection_id` or `incident_id` identifies the event.
 */
export const WorkflowDetection = z.object({
  detection_id: Text(512).optional(),
  incident_id: Text(512).optional(),
  severity: Severity,
  user_name: Text(512).optional(),
  user_domain: Text(255).optional(),
  user_email: Email().optional(),
  title: Text(1024).optional(),
  status: Text(64).optional(),
  host: Text(255).optional(),
  link: Text(4096).optional(),
  timestamp: Instant.optional(),
});

/**
 * A flat workflow payload carrying a Zero Trust Assessment (§4.4): the assessment resource's
 * `aid`, `assessment` and `modified_time`, plus the user the workflow resolved for the device.
 */
export const ZtaAssessment = z.object({
  aid: Text(64),
  assessment: z.object({ overall: Score.optional(), os: Score.optional(), sensor_config: Score.optional() }, needs('an object')),
  modified_time: Text(64).optional(),
  hostname: Text(255).optional(),
  user_name: Text(512).optional(),
  user_domain: Text(255).optional(),
  user_email: Email().optional(),
});

export type LegacyDetection = z.infer<typeof LegacyDetection>;
export type EppDetection = z.infer<typeof EppDetection>;
export type IdpDetection = z.infer<typeof IdpDetection>;
export type IdentityIncident = z.infer<typeof IdentityIncident>;
export type WorkflowDetection = z.infer<typeof WorkflowDetection>;
export type ZtaAssessment = z.infer<typeof ZtaAssessment>;
