import { parseArgs } from 'node:util';
import type { ReceiverService } from '../../receiver/receiver-service.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: riskwire transmitters register --account <id> --issuer <url> --jwks-uri <url> [--audience <aud>]
       riskwire transmitters register --account <id> --managed (--issuer <url> | --well-known-url <url>)
           (--client-id <id> --client-secret-env <VAR> [--token-endpoint <url>] [--scope <s>] | --access-token-env <VAR>)
           [--delivery push|poll] [--event <uri>]… [--audience <aud>]
       riskwire transmitters list --account <id>
       riskwire transmitters sets --account <id> <transmitter-id>
       riskwire transmitters delete --account <id> <transmitter-id>`;

/**
 * The SSF receiver's transmitters: register (static or managed), list, received SETs, delete.
 * Managed credentials are read from the environment variables named on the command line, not
 * from the command line itself, which other users of the machine can read (ps, shell history).
 */
export async function transmittersCommand(args: string[], deps: { receiver: ReceiverService; io: CliIo; env: NodeJS.ProcessEnv }): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      account: { type: 'string' }, issuer: { type: 'string' }, 'jwks-uri': { type: 'string' }, audience: { type: 'string' }, managed: { type: 'boolean' },
      'client-id': { type: 'string' }, 'client-secret-env': { type: 'string' }, 'access-token-env': { type: 'string' }, 'token-endpoint': { type: 'string' },
      'well-known-url': { type: 'string' }, delivery: { type: 'string' }, scope: { type: 'string' }, event: { type: 'string', multiple: true },
    },
  });
  if (!values.account) throw new UsageError(USAGE);
  const account = values.account;
  switch (sub) {
    case 'register': {
      if (values.managed) {
        if (!values.issuer && !values['well-known-url']) throw new UsageError(USAGE);
        const fromEnv = (option: string, name: string) => {
          const value = deps.env[name];
          if (!value) throw new UsageError(`${option} names ${name}, which is not set`);
          return value;
        };
        let auth;
        if (values['access-token-env']) auth = { access_token: fromEnv('--access-token-env', values['access-token-env']) };
        else if (values['client-id'] && values['client-secret-env']) {
          auth = { client_id: values['client-id'], client_secret: fromEnv('--client-secret-env', values['client-secret-env']), token_endpoint: values['token-endpoint'], scope: values.scope };
        } else throw new UsageError(USAGE);
        const delivery = values.delivery ?? 'push';
        if (delivery !== 'push' && delivery !== 'poll') throw new UsageError('--delivery is push or poll');
        const s = await deps.receiver.registerManaged(account, {
          issuer: values.issuer, well_known_url: values['well-known-url'], delivery, audience: values.audience, events_requested: values.event, auth,
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
