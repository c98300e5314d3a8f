import { type ApiToken, type Scope, isScope } from '../domain/api-token.js';
import type { Clock } from '../domain/clock.js';
import { errors } from '../domain/errors.js';
import type { Storage } from '../storage/ports.js';
import { generateApiToken, randomId, safeEqual, sha256Hex } from '../crypto/tokens.js';

/** Who a valid token speaks for. */
export interface Principal {
  readonly accountId: string;
  readonly tokenId: string;
  readonly scopes: readonly Scope[];
}

/** API token use cases shared by the HTTP API, the CLI and start-up. */
export interface ApiTokenService {
  /**
   * Creates a token; the plaintext is returned once and never stored.
   * @throws 404 when the account does not exist, 400 for unknown scopes or an empty name.
   */
  create(
    input: { accountId: string; name: string; scopes: readonly string[]; receiverId?: string | undefined },
    actor: string,
  ): Promise<{ token: string; record: ApiToken }>;
  /** The principal of a live token, or `null` for unknown or revoked tokens. */
  authenticate(token: string): Promise<Principal | null>;
  /** The account's tokens (hashes never leave the service's callers' presenters). */
  list(accountId: string): Promise<ApiToken[]>;
  /** Revokes the account's token. @throws 404 when the account has no such token. */
  revoke(accountId: string, tokenId: string, actor: string): Promise<ApiToken>;
  /** Installs the environment's bootstrap token for its account with every operator scope. */
  installBootstrap(accountId: string, token: string): Promise<void>;
}

/** Only record last use once a minute per token: authentication stays a read on the hot path. */
const TOUCH_INTERVAL_MS = 60_000;

/** Builds the ApiTokenService on a store. */
export function apiTokenService(storage: Storage, now: Clock): ApiTokenService {
  const audit = (accountId: string, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    storage.auditLog.append({ id: randomId(), accountId, at: now(), actor, action, target, details });

  return {
    async create(input, actor) {
      const unknown = input.scopes.filter((s) => !isScope(s));
      if (unknown.length) throw errors.badRequest(`unknown scope(s): ${unknown.join(', ')}`);
      if (input.scopes.length === 0) throw errors.badRequest('a token needs at least one scope');
      const name = input.name.trim();
      if (!name) throw errors.badRequest('a token needs a name');
      if (!(await storage.accounts.get(input.accountId))) throw errors.notFound(`account "${input.accountId}" not found`);
      const token = generateApiToken();
      const record: ApiToken = {
        id: randomId(),
        accountId: input.accountId,
        name,
        scopes: [...new Set(input.scopes as Scope[])],
        tokenHash: sha256Hex(token),
        createdAt: now(),
        lastUsedAt: null,
        revokedAt: null,
        receiverId: input.receiverId ?? null,
      };
      await storage.apiTokens.insert(record);
      await audit(record.accountId, actor, 'token.created', record.id, { name: record.name, scopes: record.scopes });
      return { token, record };
    },

    async authenticate(token) {
      const hash = sha256Hex(token);
      const record = await storage.apiTokens.findByHash(hash);
      // The index lookup found it by hash; compare again in constant time before trusting it.
      if (!record || !safeEqual(record.tokenHash, hash) || record.revokedAt) return null;
      const at = now();
      if (!record.lastUsedAt || at.getTime() - record.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
        await storage.apiTokens.touch(record.id, at);
      }
      return { accountId: record.accountId, tokenId: record.id, scopes: record.scopes };
    },

    list: (accountId) => storage.apiTokens.list(accountId),

    async revoke(accountId, tokenId, actor) {
      if (!(await storage.apiTokens.revoke(accountId, tokenId, now()))) {
        throw errors.notFound(`token "${tokenId}" not found`);
      }
      const record = await storage.apiTokens.get(accountId, tokenId);
      if (!record) throw errors.notFound(`token "${tokenId}" not found`);
      await audit(accountId, actor, 'token.revoked', tokenId);
      return record;
    },

    async installBootstrap(accountId, token) {
      // A fixed id per account: a changed RISKWIRE_BOOTSTRAP_TOKEN replaces the old one.
      await storage.apiTokens.upsert({
        id: `bootstrap-${accountId}`,
        accountId,
        name: 'bootstrap (RISKWIRE_BOOTSTRAP_TOKEN)',
        scopes: ['admin'],
        tokenHash: sha256Hex(token),
        createdAt: now(),
        lastUsedAt: null,
        revokedAt: null,
        receiverId: null,
      });
    },
  };
}
