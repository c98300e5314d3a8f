import { loadConfig, ConfigError } from '../config/index.js';
import { ServiceError } from '../domain/errors.js';
import { openStorage } from '../storage/open-storage.js';
import { buildServices } from '../app.js';
import { accountsCommand } from './commands/accounts.js';
import { tokensCommand } from './commands/tokens.js';
import { ssfCommand } from './commands/ssf.js';
import { resolveMasterKey } from '../crypto/master-key.js';
import { createSecretBox } from '../crypto/secret-box.js';
import { loadBehaviorCatalog } from '../config/behavior-catalog.js';
import { createLogger } from '../observability/logger.js';
import { systemClock } from '../domain/clock.js';
import { ssfServices } from '../ssf/index.js';
import { transmittersCommand } from './commands/transmitters.js';
import { sourcesCommand } from './commands/sources.js';
import { sourcesService } from '../sources/sources-service.js';
import { vendorAdapters } from '../sources/registry.js';
import { receiverService } from '../receiver/receiver-service.js';
import { jwksCache } from '../receiver/jwks-cache.js';
import { loadReceiverMappings } from '../config/receiver-mappings.js';
import { outboundUrlPolicy } from '../ssf/streams/outbound-url.js';
import { riskServices } from '../risk/index.js';
import type { CliIo } from './output.js';
import { UsageError } from './usage-error.js';

const HELP = `riskwire — operator commands (same DATA_DIR / MONGODB_URI as the server)

  riskwire accounts create <id> [--name <name>]
  riskwire accounts list
  riskwire tokens create --account <id> --scope <scope>… --name <name>
  riskwire tokens list --account <id>
  riskwire tokens revoke <token-id>
  riskwire receivers create --account <id> --name <name> [--audience <aud>] [--scope ssf.read|ssf.manage]…
  riskwire receivers list --account <id>
  riskwire receivers delete --account <id> <client-id>
  riskwire keys rotate --account <id>
  riskwire transmitters register|list|sets|delete --account <id> …   (SSF receiver; --help for details)
  riskwire sources create|list|events|delete --account <id> …          (EDR and IdP webhooks)
  riskwire deliveries list --account <id> --stream <stream-id> [--state pending|delivered|failed|dead]
  riskwire deliveries redrive --account <id> --stream <stream-id> [<jti>…]

Scopes: risk:read risk:write pii:read ssf:admin sources:admin admin (all), ssf.read ssf.manage`;

/**
 * Runs one CLI invocation and returns its exit code: 0 ok, 1 failure, 2 bad configuration,
 * 64 usage. Results go to stdout, everything else to stderr.
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [group, ...args] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    // Asked-for help is a result (stdout); help shown for a missing command is a diagnostic.
    if (group) io.out(HELP);
    else io.err(HELP);
    return group ? 0 : 64;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`riskwire: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const storage = await openStorage(config.storage);
  try {
    const services = buildServices(storage);
    switch (group) {
      case 'accounts':
        await accountsCommand(args, { accounts: services.accounts, io });
        break;
      case 'tokens':
        await tokensCommand(args, { tokens: services.tokens, storage, io });
        break;
      case 'transmitters': {
        const master = resolveMasterKey(config.masterKey, config.dataDir);
        const logger = createLogger({ level: 'error', format: 'json', stream: 'stderr' });
        const risk = riskServices({ storage, catalog: loadBehaviorCatalog(), now: systemClock, logger });
        const receiver = receiverService({
          config, storage, secrets: createSecretBox(master.key), now: systemClock, logger, jwks: jwksCache({ allowPrivateNetwork: config.allowPrivateNetwork }),
          outboundUrls: outboundUrlPolicy({ allowPrivateNetwork: config.allowPrivateNetwork }), rules: loadReceiverMappings(), ingest: risk.ingest,
        });
        await transmittersCommand(args, { receiver, io, env });
        break;
      }
      case 'sources': {
        const master = resolveMasterKey(config.masterKey, config.dataDir);
        const logger = createLogger({ level: 'error', format: 'json', stream: 'stderr' });
        const risk = riskServices({ storage, catalog: loadBehaviorCatalog(), now: systemClock, logger });
        const sources = sourcesService({
          config, storage, secrets: createSecretBox(master.key), now: systemClock, logger, ingest: risk.ingest,
          adapters: vendorAdapters({ allowPrivateNetwork: config.allowPrivateNetwork }), onAuthFailure: () => undefined,
        });
        await sourcesCommand(args, { sources, io });
        break;
      }
      case 'receivers':
      case 'deliveries':
      case 'keys': {
        const master = resolveMasterKey(config.masterKey, config.dataDir);
        const ssf = ssfServices({
          config, storage, secrets: createSecretBox(master.key), masterKey: master.key, now: systemClock,
          logger: createLogger({ level: 'error', format: 'json', stream: 'stderr' }), catalog: loadBehaviorCatalog(),
        });
        if (!(await storage.accounts.get(args.includes('--account') ? String(args[args.indexOf('--account') + 1]) : ''))) {
          throw new UsageError('--account must name an existing account');
        }
        await ssfCommand(group, args, { ssf, storage, io });
        break;
      }
      default:
        throw new UsageError(`unknown command "${group}"\n\n${HELP}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(err.message);
      return 64;
    }
    if (err instanceof ServiceError && err.expose) {
      io.err(`riskwire: ${err.description}`);
      return 1;
    }
    // parseArgs rejects unknown flags with a TypeError carrying an ERR_PARSE_ARGS_* code.
    if (String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      io.err(`riskwire: ${(err as Error).message}`);
      return 64;
    }
    throw err;
  } finally {
    await storage.close();
  }
}
