import { randomBytes } from 'node:crypto';
import type { Account } from '../../src/domain/account.js';
import type { ApiToken } from '../../src/domain/api-token.js';
import type { AuditEntry } from '../../src/domain/audit.js';

/** A random id unique to this test run. */
export const rid = (prefix = '') => prefix + randomBytes(8).toString('hex');

/** Millisecond-precision dates (what both adapters keep). */
export const at = (iso: string) => new Date(iso);

export function anAccount(over: Partial<Account> = {}): Account {
  return { id: rid('acct-'), name: 'Test account', createdAt: at('2026-01-02T03:04:05.678Z'), settings: { decayWindowSeconds: null, ssfDefaultSubjects: 'ALL' }, ...over };
}

export function aToken(accountId: string, over: Partial<ApiToken> = {}): ApiToken {
  return {
    id: rid(),
    accountId,
    name: 'ci token',
    scopes: ['risk:read'],
    tokenHash: randomBytes(32).toString('hex'),
    createdAt: at('2026-01-02T03:04:05.678Z'),
    lastUsedAt: null,
    revokedAt: null,
    receiverId: null,
    ...over,
  };
}

export function anAuditEntry(accountId: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: rid(),
    accountId,
    at: at('2026-01-02T03:04:05.678Z'),
    actor: 'cli',
    action: 'token.created',
    target: 'tok',
    details: { scopes: ['risk:read'] },
    ...over,
  };
}

import { randomUUID } from 'node:crypto';
import type { User } from '../../src/domain/user.js';
import type { RiskEvent } from '../../src/domain/risk.js';

export function aUser(accountId: string, over: Partial<User> = {}): User {
  const id = randomUUID();
  return {
    accountId,
    id,
    name: 'Jane Doe',
    email: `${id}@example.com`,
    identifiers: [{ kind: 'email', value: `${id}@example.com` }],
    createdAt: at('2026-01-02T03:04:05.678Z'),
    ...over,
  };
}

export function anEvent(accountId: string, userId: string, over: Partial<RiskEvent> = {}): RiskEvent {
  return {
    accountId,
    id: randomUUID(),
    userId,
    behaviorId: 'imp_travel',
    behaviorName: 'Impossible Travel',
    riskLevel: 'high',
    occurredAt: at('2026-03-01T10:00:00.000Z'),
    receivedAt: at('2026-03-01T10:00:01.000Z'),
    source: 'test',
    signalId: rid('sig-'),
    details: { ray_id: 'abc' },
    ...over,
  };
}
