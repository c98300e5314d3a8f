import { parseArgs } from 'node:util';
import type { SsfServices } from '../../ssf/index.js';
import type { Storage } from '../../storage/ports.js';
import type { OutboxEntry } from '../../storage/ssf-ports.js';
import { errors } from '../../domain/errors.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

/**
 * `receivers create --account <id> --name <n> [--audience <aud>] [--scope ssf.read|ssf.manage]…`
 * (prints client id and secret, once), `receivers list --account <id>`,
 * `receivers delete --account <id> <client-id>`, `keys rotate --account <id>`.
 */
export async function ssfCommand(group: 'receivers' | 'keys' | 'deliveries', args: string[], deps: { ssf: SsfServices; storage: Storage; io: CliIo }): Promise<void> {
  const [sub, ...rest] = args;
  if (group === 'deliveries') {
    const { values, positionals } = parseArgs({ args: rest, options: { account: { type: 'string' }, stream: { type: 'string' }, state: { type: 'string' } }, allowPositionals: true });
    if (!values.account || !values.stream || (sub !== 'list' && sub !== 'redrive')) {
      throw new UsageError('usage: riskwire deliveries list --account <id> --stream <stream-id> [--state pending|delivered|failed|dead]\n       riskwire deliveries redrive --account <id> --stream <stream-id> [<jti>…]');
    }
    if (!(await deps.storage.streams.get(values.account, values.stream))) throw errors.notFound(`stream "${values.stream}" not found`);
    if (sub === 'list') {
      const state = (values.state ?? 'dead') as OutboxEntry['state'];
      if (!['pending', 'delivered', 'failed', 'dead'].includes(state)) throw new UsageError('--state is pending, delivered, failed or dead');
      const rows = (await deps.storage.outbox.listByState(values.account, values.stream, state, 1000)).map((e) => [e.jti, e.state, String(e.attempts), e.createdAt.toISOString(), e.lastError ?? '']);
      deps.io.out(table(['JTI', 'STATE', 'ATTEMPTS', 'CREATED', 'LAST ERROR'], rows));
    } else {
      const n = await deps.storage.outbox.redrive(values.account, values.stream, positionals.length ? positionals : null, new Date());
      deps.io.out(String(n));
    }
    return;
  }
  if (group === 'keys') {
    if (sub !== 'rotate') throw new UsageError('usage: riskwire keys rotate --account <id>');
    const { values } = parseArgs({ args: rest, options: { account: { type: 'string' } } });
    if (!values.account) throw new UsageError('usage: riskwire keys rotate --account <id>');
    const { kid, activatesAt } = await deps.ssf.keys.rotate(values.account);
    deps.io.out(`${kid}\tsigns from ${activatesAt.toISOString()}`);
    return;
  }
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({ args: rest, options: { account: { type: 'string' }, name: { type: 'string' }, audience: { type: 'string' }, scope: { type: 'string', multiple: true } } });
      if (!values.account || !values.name) throw new UsageError('usage: riskwire receivers create --account <id> --name <name> [--audience <aud>] [--scope ssf.read|ssf.manage]…');
      const scopes = values.scope?.flatMap((s) => s.split(',')).map((s) => s.trim());
      if (scopes?.some((s) => s !== 'ssf.read' && s !== 'ssf.manage')) throw new UsageError('scopes are ssf.read and ssf.manage');
      const { receiver, clientSecret } = await deps.ssf.receivers.create(values.account, { name: values.name, audience: values.audience, scopes: scopes as Array<'ssf.read' | 'ssf.manage'> | undefined }, 'cli');
      const e = deps.ssf.endpoints(values.account);
      deps.io.out(`client_id=${receiver.clientId}\nclient_secret=${clientSecret}\naudience=${receiver.audience}\ntoken_endpoint=${e.token}\nissuer=${e.issuer}`);
      return;
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { account: { type: 'string' } } });
      if (!values.account) throw new UsageError('usage: riskwire receivers list --account <id>');
      const rows = (await deps.ssf.receivers.list(values.account)).map((r) => [r.clientId, r.name, r.audience, r.scopes.join(','), r.createdAt.toISOString()]);
      deps.io.out(table(['CLIENT ID', 'NAME', 'AUDIENCE', 'SCOPES', 'CREATED'], rows));
      return;
    }
    case 'delete': {
      const { values, positionals } = parseArgs({ args: rest, options: { account: { type: 'string' } }, allowPositionals: true });
      const [clientId, ...extra] = positionals;
      if (!values.account || !clientId || extra.length) throw new UsageError('usage: riskwire receivers delete --account <id> <client-id>');
      await deps.ssf.receivers.delete(values.account, clientId, 'cli');
      deps.io.out(clientId);
      return;
    }
    default:
      throw new UsageError('usage: riskwire receivers <create|list|delete> …');
  }
}
