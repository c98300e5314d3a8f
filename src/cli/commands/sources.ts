import { parseArgs } from 'node:util';
import { visibleSettings, type SourcesService } from '../../sources/sources-service.js';
import { table, type CliIo } from '../output.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: riskwire sources create --account <id> --type crowdstrike|sentinelone|okta_event_hook --name <name> [--setting key=value]…
       riskwire sources list --account <id>
       riskwire sources show --account <id> <source-id>
       riskwire sources update --account <id> <source-id> [--name <name>] [--setting key=value]… [--unset key]… [--rotate-secret]
       riskwire sources events --account <id> <source-id>
       riskwire sources delete --account <id> <source-id>`;

/** `--setting key=value` options: numbers and booleans as such, everything else as a string. */
function settingsFrom(pairs: readonly string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const kv of pairs) {
    const at = kv.indexOf('=');
    if (at < 1) throw new UsageError(`--setting takes key=value, got "${kv}"`);
    const raw = kv.slice(at + 1);
    settings[kv.slice(0, at)] = raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return settings;
}

/**
 * EDR and IdP sources: create (prints the webhook URL and the secret, once), list, show, update
 * (settings patched as the API patches them: `--unset` removes one; `--rotate-secret` prints the
 * new secret, once), events, delete.
 */
export async function sourcesCommand(args: string[], deps: { sources: SourcesService; io: CliIo }): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      account: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, setting: { type: 'string', multiple: true },
      unset: { type: 'string', multiple: true }, 'rotate-secret': { type: 'boolean' },
    },
  });
  if (!values.account) throw new UsageError(USAGE);
  const account = values.account;
  switch (sub) {
    case 'create': {
      if (!values.type || !values.name || !['crowdstrike', 'sentinelone', 'okta_event_hook'].includes(values.type)) throw new UsageError(USAGE);
      const settings = settingsFrom(values.setting ?? []);
      const { source, secret } = await deps.sources.create(account, { type: values.type as 'crowdstrike', name: values.name, settings }, 'cli');
      deps.io.out(`id=${source.id}\nwebhook_url=${deps.sources.webhookUrl(source)}\nsecret=${secret}`);
      return;
    }
    case 'list': {
      const rows = (await deps.sources.list(account)).map((s) => [s.id, s.type, s.name, deps.sources.webhookUrl(s)]);
      deps.io.out(table(['ID', 'TYPE', 'NAME', 'WEBHOOK URL'], rows));
      return;
    }
    case 'show': {
      const [id] = positionals;
      if (!id) throw new UsageError(USAGE);
      const s = await deps.sources.get(account, id);
      deps.io.out([
        `id=${s.id}`, `type=${s.type}`, `name=${s.name}`, `webhook_url=${deps.sources.webhookUrl(s)}`,
        ...Object.entries(visibleSettings(s)).map(([k, v]) => `setting.${k}=${String(v)}`),
        `created_at=${s.createdAt.toISOString()}`, `updated_at=${s.updatedAt.toISOString()}`,
      ].join('\n'));
      return;
    }
    case 'update': {
      const [id] = positionals;
      if (!id || (!values.name && !values.setting && !values.unset && !values['rotate-secret'])) throw new UsageError(USAGE);
      const patch: Record<string, unknown> = settingsFrom(values.setting ?? []);
      for (const key of values.unset ?? []) patch[key] = null;
      const { source, secret } = await deps.sources.update(account, id, {
        name: values.name, settings: Object.keys(patch).length ? patch : undefined, rotate_secret: values['rotate-secret'],
      }, 'cli');
      deps.io.out(`id=${source.id}${secret ? `\nsecret=${secret}` : ''}`);
      return;
    }
    case 'events': {
      const [id] = positionals;
      if (!id) throw new UsageError(USAGE);
      await deps.sources.get(account, id);
      const rows = (await deps.sources.events(account, id, 100)).map((e) => [e.receivedAt.toISOString(), e.kind, e.eventId, e.outcome]);
      deps.io.out(table(['RECEIVED', 'KIND', 'EVENT ID', 'OUTCOME'], rows));
      return;
    }
    case 'delete': {
      const [id] = positionals;
      if (!id) throw new UsageError(USAGE);
      await deps.sources.delete(account, id, 'cli');
      deps.io.out(id);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
