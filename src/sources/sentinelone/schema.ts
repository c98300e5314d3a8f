import { z } from 'zod';

/*
 * SentinelOne payloads (vendors reference §5.1 threats, §5.2 alerts): only the fields riskwire
 * reads; unknown fields are ignored (zod strips them). SentinelOne's API returns null for absent
 * values, so every optional field takes null. A field of the wrong type is rejected naming it.
 */

/** Marks a required field so the 400 says "<path> is required" when it is absent. */
const REQUIRED = 'is required';
const required = { error: (iss: { input?: unknown }) => (iss.input === undefined ? REQUIRED : undefined) };

const Id = z.string(required).trim().min(1).max(128);
const Text = z.string().max(2048).nullish();

/** §5.1 `threatInfo`: the verdict fields, the process user and what identifies the threat. */
const ThreatInfo = z.object({
  threatId: Id.nullish(),
  threatName: Text,
  classification: Text,
  confidenceLevel: z.string(required).trim().min(1).max(64),
  mitigationStatus: Text,
  incidentStatus: Text,
  analystVerdict: Text,
  processUser: Text,
  initiatingUsername: Text,
  filePath: Text,
  sha1: Text,
  sha256: Text,
  createdAt: Text,
  identifiedAt: Text,
}, required);

/** A §5.1 threat as pushed or as listed by `GET /web/api/v2.1/threats`. */
export const Threat = z.object({
  // §5.1: the threat's id; `threatInfo.threatId` carries the same value.
  id: Id.nullish(),
  threatInfo: ThreatInfo,
  agentRealtimeInfo: z.object({ agentComputerName: Text, agentId: Text, agentDomain: Text, siteName: Text, accountId: Text }).nullish(),
  // §5.1: the best fields for mapping to an IdP user.
  agentDetectionInfo: z.object({ agentLastLoggedInUserName: Text, agentLastLoggedInUpn: Text, agentLastLoggedInUserMail: Text }).nullish(),
}).superRefine((t, ctx) => {
  if (!t.id && !t.threatInfo.threatId) ctx.addIssue({ code: 'custom', path: ['id'], message: REQUIRED });
});
export type Threat = z.infer<typeof Threat>;

/** §5.2 alerts (STAR / custom detection rules). */
export const Alert = z.object({
  alertInfo: z.object({
    alertId: Id,
    createdAt: Text,
    reportedAt: Text,
    eventType: Text,
    source: Text,
    incidentStatus: Text,
    analystVerdict: Text,
    loginsUserName: Text,
    loginAccountDomain: Text,
  }, required),
  ruleInfo: z.object({ id: Text, name: Text, severity: Text, treatAsThreat: z.string(required).trim().min(1).max(64) }, required),
  agentDetectionInfo: z.object({ name: Text, uuid: Text }).nullish(),
  agentRealtimeInfo: z.object({ id: Text, name: Text }).nullish(),
  sourceProcessInfo: z.object({ user: Text, name: Text }).nullish(),
});
export type Alert = z.infer<typeof Alert>;

/**
 * What a push must carry at least when riskwire re-fetches the threat from the API before
 * scoring (§5.3: the push is only a hint): its id.
 */
export const ThreatHint = z.object({ id: Id.nullish(), threatInfo: z.object({ threatId: Id.nullish() }).nullish() })
  .superRefine((t, ctx) => {
    if (!t.id && !t.threatInfo?.threatId) ctx.addIssue({ code: 'custom', path: ['id'], message: REQUIRED });
  });
export const AlertHint = z.object({ alertInfo: z.object({ alertId: Id }, required) });

/** The id of a parsed threat: §5.1 `id`, else `threatInfo.threatId`. */
export const threatIdOf = (t: { id?: string | null | undefined; threatInfo?: { threatId?: string | null | undefined } | null | undefined }): string => (t.id || t.threatInfo?.threatId)!;

/** "threatInfo.confidenceLevel is required" or "ruleInfo.severity: Invalid input: expected string". */
export function describeIssue(issue: z.core.$ZodIssue, prefix: string): string {
  const where = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
  return issue.message === REQUIRED ? `${where || '(payload)'} is required` : `${where || '(payload)'}: ${issue.message}`;
}
