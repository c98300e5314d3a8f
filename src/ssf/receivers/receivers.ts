import { randomBytes } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import { errors } from '../../domain/errors.js';
import type { Storage } from '../../storage/ports.js';
import type { Receiver, SsfScope } from '../../storage/ssf-ports.js';
import { randomId, safeEqual, sha256Hex } from '../../crypto/tokens.js';

export interface ReceiverService {
  /** Registers a receiver; the client secret is returned once and stored only as a hash. */
  create(accountId: string, input: { name: string; audience?: string | undefined; scopes?: readonly SsfScope[] | undefined }, actor: string): Promise<{ receiver: Receiver; clientSecret: string }>;
  list(accountId: string): Promise<Receiver[]>;
  /** Removes a receiver and deletes its streams. @throws 404 when absent. */
  delete(accountId: string, clientId: string, actor: string): Promise<void>;
  /** The receiver when `secret` is its client secret (constant-time), else null. */
  authenticate(accountId: string, clientId: string, secret: string): Promise<Receiver | null>;
}

export function receiverService(storage: Storage, now: Clock): ReceiverService {
  const audit = (accountId: string, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    storage.auditLog.append({ id: randomId(), accountId, at: now(), actor, action, target, details });
  return {
    async create(accountId, input, actor) {
      const clientId = `rcv_${randomId(12)}`;
      const clientSecret = `rws_${randomBytes(32).toString('base64url')}`;
      const receiver: Receiver = {
        accountId, clientId, name: input.name, audience: input.audience ?? clientId,
        scopes: input.scopes?.length ? [...new Set(input.scopes)] : ['ssf.read', 'ssf.manage'],
        secretHash: sha256Hex(clientSecret), createdAt: now(),
      };
      await storage.receivers.insert(receiver);
      await audit(accountId, actor, 'receiver.created', clientId, { name: receiver.name, audience: receiver.audience, scopes: receiver.scopes });
      return { receiver, clientSecret };
    },
    list: (accountId) => storage.receivers.list(accountId),
    async delete(accountId, clientId, actor) {
      if (!(await storage.receivers.get(accountId, clientId))) throw errors.notFound(`receiver "${clientId}" not found`);
      for (const s of await storage.streams.listByReceiver(accountId, clientId)) await storage.streams.delete(accountId, s.streamId);
      await storage.receivers.delete(accountId, clientId);
      await audit(accountId, actor, 'receiver.deleted', clientId);
    },
    async authenticate(accountId, clientId, secret) {
      const r = await storage.receivers.get(accountId, clientId);
      const hash = sha256Hex(secret);
      // Compare even when the client is unknown, so timing does not tell which client ids exist.
      const ok = safeEqual(r?.secretHash ?? '0'.repeat(64), hash);
      return r && ok ? r : null;
    },
  };
}
