import type { DeclaredSource } from '../config/declarative-sources.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { Source } from '../storage/source-ports.js';
import type { SourcesService } from './sources-service.js';

/**
 * Makes each declared source exist as declared: created when its account has no source of that
 * name, otherwise given the declared settings (replaced whole) and secret when they differ, so
 * restarting with the same files and environment changes nothing. A source created through the
 * API or CLI is never touched unless a file names it. A declared account that does not exist is
 * skipped with a warning. Returns how many sources were created or changed.
 */
export async function applyDeclaredSources(declared: readonly DeclaredSource[], deps: { storage: Storage; sources: SourcesService; logger: Logger }): Promise<number> {
  let changed = 0;
  const listed = new Map<string, Source[]>();
  for (const d of declared) {
    if (!(await deps.storage.accounts.get(d.account))) {
      deps.logger.warn(`sources/: account "${d.account}" does not exist; source "${d.name}" is not applied`);
      continue;
    }
    // One listing per account, however many sources it declares.
    if (!listed.has(d.account)) listed.set(d.account, await deps.sources.list(d.account));
    const existing = listed.get(d.account)!.find((s) => s.name === d.name);
    if (existing && existing.type !== d.type) throw new Error(`${d.file}: source "${d.name}" is declared as ${d.type}, but account ${d.account} has it as ${existing.type}; rename one of them`);
    let source = existing;
    let outcome: 'created' | 'updated' | 'unchanged';
    if (source) outcome = await deps.sources.applyDeclared(source, { settings: d.settings, secret: d.secret });
    else {
      source = (await deps.sources.create(d.account, { type: d.type, name: d.name, settings: d.settings }, 'sources/', { secret: d.secret })).source;
      listed.get(d.account)!.push(source); // a later file naming it finds it
      outcome = 'created';
    }
    if (outcome === 'unchanged') continue;
    changed++;
    deps.logger.info(`sources/: ${outcome} source "${d.name}" (${d.type}) for account ${d.account}`, { id: source.id, webhook_url: deps.sources.webhookUrl(source) });
  }
  return changed;
}
