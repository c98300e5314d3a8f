import { parseArgs } from 'node:util';
import type { AccountService } from '../../accounts/accounts.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

/** `accounts create <id> [--name <name>]`, `accounts list`. */
export async function accountsCommand(args: string[], deps: { accounts: AccountService; io: CliIo }): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseArgs({ args: rest, options: { name: { type: 'string' } }, allowPositionals: true });
      const [id, ...extra] = positionals;
      if (!id || extra.length) throw new UsageError('usage: riskwire accounts create <id> [--name <name>]');
      const account = await deps.accounts.create({ id, name: values.name }, 'cli');
      deps.io.out(account.id);
      return;
    }
    case 'list': {
      parseArgs({ args: rest, options: {}, allowPositionals: false });
      const rows = (await deps.accounts.list()).map((a) => [a.id, a.name, a.createdAt.toISOString()]);
      deps.io.out(table(['ID', 'NAME', 'CREATED'], rows));
      return;
    }
    default:
      throw new UsageError('usage: riskwire accounts <create|list> …');
  }
}
