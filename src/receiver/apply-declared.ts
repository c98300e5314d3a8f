import type { DeclaredStreams } from '../config/declarative-streams.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { ReceiverService } from './receiver-service.js';

/**
 * Registers the declared static transmitters that are not registered yet (same issuer and JWKS
 * URL), so restarting with the same files changes nothing. A declared account that does not
 * exist is skipped with a warning.
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
      if (existing.some((s) => s.mode === 'static' && s.issuer === t.issuer && s.jwksUri === t.jwks_uri)) continue;
      const s = await deps.receiver.registerStatic(f.account, t, 'streams/');
      deps.logger.info(`streams/: registered transmitter ${t.issuer} for account ${f.account}`, { id: s.id, push_endpoint: deps.receiver.pushEndpoint(f.account, s.id) });
      added++;
    }
  }
  return added;
}
