import { DEFAULT_ACCOUNT_SETTINGS, isAccountId, type Account } from '../domain/account.js';
import type { Clock } from '../domain/clock.js';
import { errors } from '../domain/errors.js';
import type { Storage } from '../storage/ports.js';
import { randomId } from '../crypto/tokens.js';

/** Account use cases shared by the HTTP API and the CLI. */
export interface AccountService {
  /**
   * Creates an account. @throws 400 for a malformed id, 409 when it exists.
   */
  create(input: { id: string; name?: string | undefined }, actor: string): Promise<Account>;
  /** Creates the account when absent; returns whether it was created. Never throws for "exists". */
  ensure(input: { id: string; name?: string | undefined }, actor: string): Promise<{ account: Account; created: boolean }>;
  /** The account or `null`. */
  get(id: string): Promise<Account | null>;
  /** Every account (operator only). */
  list(): Promise<Account[]>;
}

/** Builds the AccountService on a store. */
export function accountService(storage: Storage, now: Clock): AccountService {
  const ensure: AccountService['ensure'] = async (input, actor) => {
    if (!isAccountId(input.id)) {
      throw errors.badRequest(`account id "${input.id}" must match [a-z0-9][a-z0-9_-]{0,63}`);
    }
    const candidate: Account = { id: input.id, name: input.name?.trim() || input.id, createdAt: now(), settings: DEFAULT_ACCOUNT_SETTINGS };
    const created = await storage.accounts.create(candidate);
    if (created) {
      await storage.auditLog.append({
        id: randomId(),
        accountId: candidate.id,
        at: candidate.createdAt,
        actor,
        action: 'account.created',
        target: candidate.id,
        details: { name: candidate.name },
      });
      return { account: candidate, created };
    }
    const existing = await storage.accounts.get(input.id);
    if (!existing) throw new Error(`account ${input.id} vanished between create and read`);
    return { account: existing, created };
  };
  return {
    ensure,
    async create(input, actor) {
      const { account, created } = await ensure(input, actor);
      if (!created) throw errors.conflict(`account "${input.id}" already exists`);
      return account;
    },
    get: (id) => (isAccountId(id) ? storage.accounts.get(id) : Promise.resolve(null)),
    list: () => storage.accounts.list(),
  };
}
