import { parseArgs } from 'node:util';
import type { ReceiverService } from '../../receiver/receiver-service.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: riskwire transmitters register --account <id> --issuer <url> --jwks-uri <url> [--audience <aud>]
       riskwire transmitters register --account <id> --managed --issuer <url> --client-id <id> --client-secret <s> [--token-endpoint <url>] [--delivery push|poll] [--scope <s>]
       riskwire transmitters list --account <id>
       riskwire transmitters sets --account <id> <transmitter-id>
       riskwire transmitters delete --account <id> <transmitter-id>`;

/** The SSF receiver's transmitters: register (static or managed), list, received SETs, delete. */
export async function transmittersCommand(args: string[], deps: { receiver: ReceiverService; io: CliIo }): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      account: { type: 'string' }, issuer: { type: 'string' }, 'jwks-uri': { type: 'string' }, audience: { type: 'string' }, managed: { type: 'boolean' },
      'client-id': { type: 'string' }, 'client-secret': { type: 'string' }, 'token-endpoint': { type: 'string' }, delivery: { type: 'string' }, scope: { type: 'string' },
    },
  });
  if (!values.account) throw new UsageError(USAGE);
  const account = values.account;
  switch (sub) {
    case 'register': {
      if (values.managed) {
        if (!values.issuer || !values['client-id'] || !values['client-secret']) throw new UsageError(USAGE);
        const delivery = values.delivery ?? 'push';
        if (delivery !== 'push' && delivery !== 'poll') throw new UsageError('--delivery is push or poll');
        const s = await deps.receiver.registerManaged(account, {
          issuer: values.issuer, delivery, audience: values.audience,
          auth: { client_id: values['client-id'], client_secret: values['client-secret'], token_endpoint: values['token-endpoint'], scope: values.scope },
        }, 'cli');
        deps.io.out(`${s.id}\t${s.status}${s.lastError ? `\t${s.lastError}` : ''}`);
        return;
      }
      if (!values.issuer || !values['jwks-uri']) throw new UsageError(USAGE);
      const s = await deps.receiver.registerStatic(account, { issuer: values.issuer, jwks_uri: values['jwks-uri'], audience: values.audience }, 'cli');
      deps.io.out(`${s.id}\t${deps.receiver.pushEndpoint(account, s.id)}\t${s.audience}`);
      return;
    }
    case 'list': {
      const rows = (await deps.receiver.list(account)).map((s) => [s.id, s.mode, s.status, s.issuer, s.verifiedAt?.toISOString() ?? '-', s.lastEventAt?.toISOString() ?? '-']);
      deps.io.out(table(['ID', 'MODE', 'STATUS', 'ISSUER', 'VERIFIED', 'LAST EVENT'], rows));
      return;
    }
    case 'sets': {
      const [id] = positionals;
      if (!id) throw new UsageError(USAGE);
      await deps.receiver.get(account, id);
      const rows = (await deps.receiver.sets(account, id, 100)).map((r) => [r.receivedAt.toISOString(), r.eventType.split('/').pop() ?? r.eventType, r.jti, r.outcome ?? r.state]);
      deps.io.out(table(['RECEIVED', 'EVENT', 'JTI', 'OUTCOME'], rows));
      return;
    }
    case 'delete': {
      const [id] = positionals;
      if (!id) throw new UsageError(USAGE);
      await deps.receiver.delete(account, id, 'cli');
      deps.io.out(id);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
