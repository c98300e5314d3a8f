import type { SignalUser } from '../../risk/signal.js';
import { isServiceAccount, type SentinelOneMapping } from './mapping.js';
import type { Alert, Threat } from './schema.js';

type Identifier = { kind: 'windows_account' | 'upn' | 'edr_user'; value: string };

const present = (v: string | null | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);
const isEmail = (v: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
/** `DOMAIN\user` → `user`; otherwise the value. */
const userPart = (v: string) => v.slice(v.lastIndexOf('\\') + 1);

/** An account name as an identifier: `DOMAIN\user` is a Windows account, `a@b` a UPN, else the EDR's user name. */
function accountIdentifier(value: string | undefined, mapping: SentinelOneMapping): Identifier | undefined {
  if (!value || isServiceAccount(value, mapping)) return undefined;
  if (/^[^\\]+\\[^\\]+$/.test(value)) return { kind: 'windows_account', value };
  if (isEmail(value)) return { kind: 'upn', value };
  return value.includes('\\') ? undefined : { kind: 'edr_user', value };
}

/**
 * The user a threat is about, in §5.1's order: `agentDetectionInfo.agentLastLoggedInUserMail` →
 * `agentLastLoggedInUpn` → `threatInfo.processUser` (SYSTEM and other OS accounts skipped). The
 * process user is attached to the signed-in user only when it is the same account name: a
 * service account running the process must not become an identifier of whoever signed in last.
 * Null when the threat names nobody.
 */
export function threatUser(t: Threat, mapping: SentinelOneMapping): SignalUser | null {
  const d = t.agentDetectionInfo;
  const mail = present(d?.agentLastLoggedInUserMail);
  const email = mail && isEmail(mail) ? mail : undefined;
  const upn = present(d?.agentLastLoggedInUpn);
  const signedIn = accountIdentifier(present(d?.agentLastLoggedInUserName), mapping);
  const proc = accountIdentifier(present(t.threatInfo.processUser), mapping);

  const ids: Identifier[] = [];
  if (upn && isEmail(upn)) ids.push({ kind: 'upn', value: upn });
  if (signedIn) ids.push(signedIn);
  const knownName = signedIn ? userPart(signedIn.value) : upn ? upn.split('@')[0]! : email?.split('@')[0];
  if (proc && (!knownName || userPart(proc.value).toLowerCase() === knownName.toLowerCase())) ids.push(proc);
  if (!email && !ids.length) return null;
  return { email, identifiers: dedupe(ids) };
}

/**
 * The user an alert is about (§5.2 has no mail or UPN): the source process user, else the
 * login domain and user name.
 */
export function alertUser(a: Alert, mapping: SentinelOneMapping): SignalUser | null {
  const login = present(a.alertInfo.loginsUserName);
  const domain = present(a.alertInfo.loginAccountDomain);
  const ids: Identifier[] = [];
  const proc = accountIdentifier(present(a.sourceProcessInfo?.user), mapping);
  if (proc) ids.push(proc);
  const loginId = accountIdentifier(login && domain && !login.includes('\\') ? `${domain}\\${login}` : login, mapping);
  if (loginId && (!proc || userPart(proc.value).toLowerCase() === userPart(loginId.value).toLowerCase())) ids.push(loginId);
  if (!ids.length) return null;
  return { identifiers: dedupe(ids) };
}

function dedupe(ids: Identifier[]): Identifier[] {
  const seen = new Set<string>();
  return ids.filter((i) => {
    const k = `${i.kind}\u0000${i.value.toLowerCase()}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
