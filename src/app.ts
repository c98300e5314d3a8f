import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import { systemClock, type Clock } from './domain/clock.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { resolveMasterKey } from './crypto/master-key.js';
import { createSecretBox, type SecretBox } from './crypto/secret-box.js';
import { openStorage } from './storage/open-storage.js';
import type { Storage } from './storage/ports.js';
import { accountService, type AccountService } from './accounts/accounts.js';
import { apiTokenService, type ApiTokenService } from './accounts/api-tokens.js';
import { createRequestListener } from './http/create-http-app.js';
import { loadBehaviorCatalog } from './config/behavior-catalog.js';
import { riskServices, type RiskServices } from './risk/index.js';
import { ssfServices, type SsfServices } from './ssf/index.js';
import { receiverService, type ReceiverService } from './receiver/receiver-service.js';
import { jwksCache } from './receiver/jwks-cache.js';
import { loadReceiverMappings } from './config/receiver-mappings.js';
import { outboundUrlPolicy } from './ssf/streams/outbound-url.js';
import { startPeriodic } from './risk/periodic.js';
import { startPullConnectors } from './sources/pull-connectors.js';
import { loadDeclaredStreams } from './config/declarative-streams.js';
import { loadDeclaredSources } from './config/declarative-sources.js';
import { applyDeclaredSources } from './sources/apply-declared.js';
import { applyDeclaredStreams } from './receiver/apply-declared.js';
import { sourcesService, type SourcesService } from './sources/sources-service.js';
import { vendorAdapters } from './sources/registry.js';
import { Counter } from 'prom-client';

/** A running riskwire: its HTTP server, its services, and how to stop it. */
export interface RunningApp {
  readonly url: string;
  readonly server: http.Server;
  readonly storage: Storage;
  readonly accounts: AccountService;
  readonly tokens: ApiTokenService;
  readonly risk: RiskServices;
  readonly ssf: SsfServices;
  readonly receiver: ReceiverService;
  readonly sources: SourcesService;
  readonly secrets: SecretBox;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes storage. */
  close(): Promise<void>;
}

/** Services on an open store: the part the server and the CLI share. */
export function buildServices(storage: Storage, now: Clock = systemClock) {
  return { accounts: accountService(storage, now), tokens: apiTokenService(storage, now) };
}

/**
 * Wires config → storage → services → http and starts listening.
 * @throws when storage cannot be opened or the port cannot be bound (the caller exits non-zero).
 */
export async function startApp(config: Config, opts: { logger?: Logger; now?: Clock } = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.log);
  const life = logger.child('lifecycle');
  const now = opts.now ?? systemClock;
  const catalog = loadBehaviorCatalog();
  const receiverRules = loadReceiverMappings();
  const declared = loadDeclaredStreams(config.streamsDir);
  const declaredSources = loadDeclaredSources(config.sourcesDir);
  const adapters = vendorAdapters({ allowPrivateNetwork: config.allowPrivateNetwork });
  const master = resolveMasterKey(config.masterKey, config.dataDir);
  if (master.source === 'file-created') {
    life.warn(`RISKWIRE_MASTER_KEY is not set: generated a master key into ${master.file}. ` +
      'Secrets at rest are only as safe as that file. Set RISKWIRE_MASTER_KEY in production.');
  } else if (master.source === 'file-existing') {
    life.warn(`RISKWIRE_MASTER_KEY is not set: using the generated key in ${master.file}. Set RISKWIRE_MASTER_KEY in production.`);
  }
  const storage = await openStorage(config.storage, { server: true, onBackgroundError: (message) => logger.child('storage').error(message) });
  try {
    const { accounts, tokens } = buildServices(storage, now);
    const risk = riskServices({ storage, catalog, now, logger });
    const secrets = createSecretBox(master.key);
    const metrics = createMetrics();
    const ssf = ssfServices({ config, storage, secrets, masterKey: master.key, now, logger, catalog, registry: metrics.registry });
    const receiver = receiverService({
      config, storage, secrets, now, logger: logger.child('receive'), jwks: jwksCache({ allowPrivateNetwork: config.allowPrivateNetwork }),
      outboundUrls: outboundUrlPolicy({ allowPrivateNetwork: config.allowPrivateNetwork }), rules: receiverRules,
      ingest: async (accountId, signals) => {
        const r = await risk.ingest(accountId, signals);
        if (r.changes.length) ssf.kick();
        return r;
      },
    });
    if (config.bootstrap) {
      const { created } = await accounts.ensure({ id: config.bootstrap.accountId }, 'bootstrap');
      await tokens.installBootstrap(config.bootstrap.accountId, config.bootstrap.token);
      life.info(`bootstrap account "${config.bootstrap.accountId}" ${created ? 'created' : 'present'}; bootstrap token installed`);
    }
    await applyDeclaredStreams(declared, { storage, receiver, logger: logger.child('receive') });
    const authFailures = new Counter({ name: 'riskwire_source_auth_failures_total', help: 'Vendor webhook requests that failed authentication', labelNames: ['type'] as const, registers: [metrics.registry] });
    const sources = sourcesService({
      config, storage, secrets, now, logger: logger.child('source'), adapters,
      onAuthFailure: (type) => authFailures.inc({ type }),
      ingest: async (accountId, signals) => {
        const r = await risk.ingest(accountId, signals);
        if (r.changes.length) ssf.kick();
        return r;
      },
    });
    await applyDeclaredSources(declaredSources, { storage, sources, logger: logger.child('source') });
    const drain = { active: false };
    const listener = createRequestListener({
      config, logger, metrics, accounts, tokens, risk, ssf, receiver, sources, storage, now,
      ready: () => storage.ping(),
      isDraining: () => drain.active,
    });
    const server = http.createServer(listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const workers = risk.startWorkers({ recoveryAgeMs: config.risk.recoveryAgeMs });
    const transmitter = ssf.startWorkers();
    const inbound = startPeriodic('received SET recovery', 30_000, () => receiver.recover(), logger.child('receive'));
    const poller = startPeriodic('SSF poll client', 1000, () => receiver.pollOnce(), logger.child('receive'));
    // Webhook events answered but not scored when a crash came (sources-service `recover`).
    const unscored = startPeriodic('source event recovery', 30_000, () => sources.recover(), logger.child('source'));
    // Webhook signatures older than any replay window (an hour bounds them all) are forgotten.
    const nonces = startPeriodic('nonce pruning', 300_000, () => storage.sources.pruneNonces(new Date(now().getTime() - 3600_000)), logger.child('source'));
    // CrowdStrike Event Streams (sources issue): one pull connector per source configured for it.
    const pulls = startPullConnectors({ storage, sources, logger: logger.child('source'), allowPrivateNetwork: config.allowPrivateNetwork });
    const { port } = server.address() as AddressInfo;
    life.info(`riskwire listening on ${config.host}:${port} (store: ${storage.kind}, public URL ${config.publicUrl})`);
    let closing: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}`,
      server,
      storage,
      accounts,
      tokens,
      risk,
      ssf,
      receiver,
      sources,
      secrets,
      close: () => {
        drain.active = true;
        return (closing ??= Promise.all([workers.stop(), transmitter.stop(), inbound.stop(), poller.stop(), unscored.stop(), nonces.stop(), pulls.stop()]).then(() => shutdown(server, storage, config.http.shutdownGraceMs, life, async () => {
          await Promise.all([receiver.idle(), sources.idle()]);
          await ssf.idle(); // the fan-out of the changes that scoring made
        })));
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}

async function shutdown(server: http.Server, storage: Storage, graceMs: number, log: Logger, scored: () => Promise<unknown>): Promise<void> {
  log.info('shutting down: no new connections, finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would hold server.close() open until they time out; in-flight
  // requests answer with Connection: close (see create-http-app) and their sockets are swept
  // here as soon as they turn idle.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  if (!(await within(closed, graceMs))) {
    log.warn(`in-flight requests still open after ${graceMs} ms; closing their connections`);
    server.closeAllConnections();
    await closed;
  }
  clearInterval(sweep);
  // What was answered is scored, and its risk changes fanned out, before the store closes — within
  // the grace period; what is left then stays stored unscored for the recovery sweep after a restart.
  if (!(await within(scored(), graceMs))) log.warn(`scoring what was answered is still under way after ${graceMs} ms; the rest is scored by recovery after a restart`);
  await storage.close();
  log.info('stopped');
}

/** Waits for `work` at most `ms`; false when the time ran out first (the work goes on). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
