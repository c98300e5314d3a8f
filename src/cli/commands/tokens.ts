import { parseArgs } from 'node:util';
import type { ApiTokenService } from '../../accounts/api-tokens.js';
import type { Storage } from '../../storage/ports.js';
import { errors } from '../../domain/errors.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

/**
 * `tokens create --account <id> --scope <s>… --name <n>` (prints only the token),
 * `tokens list --account <id>`, `tokens revoke <token-id>`.
 */
export async function tokensCommand(
  args: string[],
  deps: { tokens: ApiTokenService; storage: Storage; io: CliIo },
): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { account: { type: 'string' }, scope: { type: 'string', multiple: true }, name: { type: 'string' } },
        allowPositionals: true,
      });
      if (!values.account || !values.scope?.length || !values.name || positionals.length) {
        throw new UsageError('usage: riskwire tokens create --account <id> --scope <scope> [--scope <scope>…] --name <name>');
      }
      // `--scope a,b` is accepted as well as repeated flags.
      const scopes = values.scope.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const { token } = await deps.tokens.create({ accountId: values.account, name: values.name, scopes }, 'cli');
      deps.io.out(token);
      return;
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { account: { type: 'string' } } });
      if (!values.account) throw new UsageError('usage: riskwire tokens list --account <id>');
      if (!(await deps.storage.accounts.get(values.account))) throw errors.notFound(`account "${values.account}" not found`);
      const rows = (await deps.tokens.list(values.account)).map((t) => [
        t.id,
        t.name,
        t.scopes.join(','),
        t.revokedAt ? 'revoked' : 'active',
        t.createdAt.toISOString(),
        t.lastUsedAt?.toISOString() ?? '-',
      ]);
      deps.io.out(table(['ID', 'NAME', 'SCOPES', 'STATUS', 'CREATED', 'LAST USED'], rows));
      return;
    }
    case 'revoke': {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      const [id, ...extra] = positionals;
      if (!id || extra.length) throw new UsageError('usage: riskwire tokens revoke <token-id>');
      // The operator's CLI is not tenant-scoped: find the token's account, then revoke within it.
      const record = await deps.storage.apiTokens.getById(id);
      if (!record) throw errors.notFound(`token "${id}" not found`);
      await deps.tokens.revoke(record.accountId, id, 'cli');
      deps.io.out(id);
      return;
    }
    default:
      throw new UsageError('usage: riskwire tokens <create|list|revoke> …');
  }
}
