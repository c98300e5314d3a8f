import type { Behavior, CatalogBehavior } from '../domain/behavior.js';
import type { Clock } from '../domain/clock.js';
import { errors } from '../domain/errors.js';
import type { RiskLevel } from '../domain/risk-level.js';
import type { Storage } from '../storage/ports.js';
import { randomId } from '../crypto/tokens.js';

/** Behavior use cases: the catalog seeded lazily per account, audited changes, custom behaviors. */
export interface BehaviorService {
  /** The account's behaviors, ordered by id (seeded from the catalog on first use). */
  list(accountId: string): Promise<Behavior[]>;
  /**
   * The behaviors as ingestion sees them: cached up to one second per account, and dropped at once
   * when this process changes them (another instance's change takes effect within the second).
   */
  forIngest(accountId: string): Promise<Behavior[]>;
  /** One behavior, or null. */
  get(accountId: string, id: string): Promise<Behavior | null>;
  /**
   * Sets enabled/risk_level of the given behaviors (Cloudflare PUT /behaviors) and audits each
   * change. @throws 400 naming the unknown ids; nothing changes then.
   */
  update(accountId: string, changes: ReadonlyArray<{ id: string; enabled: boolean; riskLevel: RiskLevel }>, actor: string): Promise<Behavior[]>;
  /** Creates or replaces a custom behavior (our extension). @throws 409 for a catalog id. */
  putCustom(accountId: string, input: { id: string; name: string; description: string; riskLevel: RiskLevel; enabled: boolean }, actor: string): Promise<Behavior>;
  /** Deletes a custom behavior. @throws 404 when absent, 409 for a catalog behavior. */
  deleteCustom(accountId: string, id: string, actor: string): Promise<void>;
}

/** Builds the BehaviorService. */
export function behaviorService(storage: Storage, catalog: readonly CatalogBehavior[], now: Clock): BehaviorService {
  // Seeding is idempotent; remembering it per process keeps it off the hot path.
  const seeded = new Set<string>();
  const ensureSeeded = async (accountId: string) => {
    if (seeded.has(accountId)) return;
    await storage.behaviors.seed(accountId, catalog, now());
    seeded.add(accountId);
  };
  const cache = new Map<string, { at: number; list: Behavior[] }>();
  const CACHE_MS = 1000;
  const audit = (accountId: string, actor: string, action: string, target: string, details: Record<string, unknown>) =>
    storage.auditLog.append({ id: randomId(), accountId, at: now(), actor, action, target, details });

  return {
    async list(accountId) {
      await ensureSeeded(accountId);
      return storage.behaviors.list(accountId);
    },
    async forIngest(accountId) {
      const hit = cache.get(accountId);
      const t = now().getTime();
      if (hit && t - hit.at < CACHE_MS && t >= hit.at) return hit.list;
      await ensureSeeded(accountId);
      const list = await storage.behaviors.list(accountId);
      cache.set(accountId, { at: t, list });
      return list;
    },
    async get(accountId, id) {
      await ensureSeeded(accountId);
      return storage.behaviors.get(accountId, id);
    },
    async update(accountId, changes, actor) {
      await ensureSeeded(accountId);
      const before = new Map((await storage.behaviors.list(accountId)).map((b) => [b.id, b]));
      cache.delete(accountId);
      const missing = await storage.behaviors.update(accountId, changes, now());
      if (missing.length) {
        throw errors.badRequest(`unknown behavior id(s): ${missing.join(', ')}`, {
          fields: missing.map((id) => ({ path: `/body/behaviors/${id}`, message: 'unknown behavior id' })),
        });
      }
      for (const c of changes) {
        const b = before.get(c.id)!;
        if (b.enabled !== c.enabled || b.riskLevel !== c.riskLevel) {
          await audit(accountId, actor, 'behavior.updated', c.id, {
            from: { enabled: b.enabled, risk_level: b.riskLevel },
            to: { enabled: c.enabled, risk_level: c.riskLevel },
          });
        }
      }
      return storage.behaviors.list(accountId);
    },
    async putCustom(accountId, input, actor) {
      await ensureSeeded(accountId);
      cache.delete(accountId);
      const b: Behavior = { accountId, ...input, custom: true, updatedAt: now() };
      if (!(await storage.behaviors.putCustom(b))) throw errors.conflict(`"${input.id}" is a catalog behavior and cannot be redefined`);
      await audit(accountId, actor, 'behavior.custom_put', input.id, { name: input.name, enabled: input.enabled, risk_level: input.riskLevel });
      return b;
    },
    async deleteCustom(accountId, id, actor) {
      await ensureSeeded(accountId);
      cache.delete(accountId);
      const r = await storage.behaviors.deleteCustom(accountId, id);
      if (r === 'not_found') throw errors.notFound(`behavior "${id}" not found`);
      if (r === 'not_custom') throw errors.conflict(`"${id}" is a catalog behavior; disable it instead of deleting it`);
      await audit(accountId, actor, 'behavior.custom_deleted', id, {});
    },
  };
}
