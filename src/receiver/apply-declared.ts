import type { DeclaredStreams } from '../config/declarative-streams.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { ReceiverService } from './receiver-service.js';

/**
 * Registers the declared transmitters that are not registered yet — static: same issuer and
 * JWKS URL; managed: a managed subscription to the same issuer — so restarting with the same
 * files changes nothing. A declared account that does not exist is skipped with a warning. A
 * managed transmitter that cannot be registered now (unreachable, refusing) is logged as an
 * error and tried again at the next start; it does not keep the service from starting.
 */
export async function applyDeclaredStreams(files: readonly DeclaredStreams[], deps: { storage: Storage; receiver: ReceiverService; logger: Logger }): Promise<number> {
  let added = 0;
  for (const f of files) {
    if (!(await deps.storage.accounts.get(f.account))) {
      deps.logger.warn(`streams/: account "${f.account}" does not exist; its transmitters are not registered`);
      continue;
    }
    const existing = await deps.storage.subscriptions.list(f.account);
    for (const t of f.transmitters) {
      if (t.mode === 'static') {
        if (existing.some((s) => s.mode === 'static' && s.issuer === t.issuer && s.jwksUri === t.jwks_uri)) continue;
        const s = await deps.receiver.registerStatic(f.account, t, 'streams/');
        deps.logger.info(`streams/: registered transmitter ${t.issuer} for account ${f.account}`, { id: s.id, push_endpoint: deps.receiver.pushEndpoint(f.account, s.id) });
        added++;
        continue;
      }
      if (existing.some((s) => s.mode === 'managed' && s.issuer === t.issuer)) continue;
      try {
        const s = await deps.receiver.registerManaged(f.account, t, 'streams/');
        deps.logger.info(`streams/: registered managed transmitter ${t.issuer} for account ${f.account}`, { id: s.id, status: s.status, stream_id: s.streamId, last_error: s.lastError });
        added++;
      } catch (err) {
        deps.logger.error(`streams/: managed transmitter ${t.issuer} for account ${f.account} could not be registered; trying again at the next start`, { file: f.file, error: err });
      }
    }
  }
  return added;
}
