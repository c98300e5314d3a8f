import type { SignalUser } from '../../risk/signal.js';

const EMAIL = /^[^\s@\\]+@[^\s@\\]+\.[^\s@\\]+$/;

/** What a Falcon user field names: the signal's user, or why it is not scored. */
export type FalconUser = { user: SignalUser } | { ignored: string };

/**
 * The user a Falcon event names (vendors reference §4.2: `UserName` may be a bare sAMAccountName,
 * `DOMAIN\user` or a UPN; Identity Protection uses `SourceAccountName` + `SourceAccountDomain`),
 * as identifiers for identity resolution:
 * - `DOMAIN\user` → windows_account;
 * - `user@domain` → upn, and also the email when `upnIsEmail` (the Elastic pipeline's reading;
 *   a UPN is usually, not always, the mail address);
 * - a bare name with a domain (LogonDomain, MachineDomain, SourceAccountDomain) → windows_account
 *   `DOMAIN\name`; without one → edr_user (never both: a bare "Administrator" exists on every host).
 * System and machine accounts (`HOST$`) are not people and are never scored.
 */
export function falconUser(input: { name?: string | undefined; domain?: string | undefined; email?: string | undefined }, opts: { upnIsEmail: boolean; ignoredUsers: readonly string[] }): FalconUser {
  const identifiers: Array<{ kind: 'windows_account' | 'upn' | 'edr_user'; value: string }> = [];
  // An explicit email was validated by the schema.
  let email = input.email;
  const name = input.name?.trim();
  if (name) {
    const account = name.includes('\\') ? name.slice(name.indexOf('\\') + 1) : name;
    const ignored = opts.ignoredUsers.some((u) => u.toLowerCase() === account.toLowerCase());
    if (ignored || /\$$/.test(account)) return { ignored: `system account "${name}" is not scored` };
    if (name.includes('\\')) {
      const domain = name.slice(0, name.indexOf('\\'));
      if (!domain || !account) return { ignored: `user name "${name}" is not DOMAIN\\user` };
      identifiers.push({ kind: 'windows_account', value: `${domain}\\${account}` });
    } else if (EMAIL.test(name)) {
      identifiers.push({ kind: 'upn', value: name });
      if (opts.upnIsEmail && !email) email = name;
    } else if (input.domain?.trim()) {
      identifiers.push({ kind: 'windows_account', value: `${input.domain.trim()}\\${name}` });
    } else {
      identifiers.push({ kind: 'edr_user', value: name });
    }
  }
  if (!email && !identifiers.length) return { ignored: 'no user in the event' };
  return { user: { ...(email ? { email } : {}), identifiers } };
}
