import type { Config } from '../config/index.js';
import type { CatalogBehavior } from '../domain/behavior.js';
import type { Clock } from '../domain/clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/ports.js';
import type { Stream } from '../storage/ssf-ports.js';
import { startPeriodic } from '../risk/periodic.js';
import { signingKeyService } from './keys/signing-keys.js';
import { receiverService } from './receivers/receivers.js';
import { accessTokenService } from './receivers/access-tokens.js';
import { streamService } from './streams/stream-service.js';
import { outboundUrlPolicy } from './streams/outbound-url.js';
import { makeEnqueue } from './delivery/enqueue.js';
import { fanOutOnce } from './delivery/fan-out.js';
import { PollHub } from './delivery/poll-hub.js';
import { pollStream, type PollRequest } from './delivery/poll.js';
import { endpointsOf, issuerOf } from './metadata.js';
import { coalescingTrigger } from './trigger.js';
import { pushWorker } from './delivery/push-worker.js';
import { createPushMetrics } from './delivery/push-metrics.js';
import { Counter, Registry } from 'prom-client';

/** The SSF transmitter's services, built once per process. */
/** Risk changes one fan-out pass takes at most. */
const FAN_OUT_PAGE = 200;

export function ssfServices(deps: { config: Config; storage: Storage; secrets: SecretBox; masterKey: Buffer; now: Clock; logger: Logger; catalog: readonly CatalogBehavior[]; registry?: Registry }) {
  const { config, storage, now } = deps;
  const logger = deps.logger.child('transmit');
  const hub = new PollHub();
  const registry = deps.registry ?? new Registry();
  const oktaSkippedNoEmail = new Counter({ name: 'riskwire_okta_skipped_no_email_total', help: 'Risk changes not sent to Okta because the user has no email', registers: [registry] });
  const metrics = createPushMetrics(registry, async () =>
    (await storage.outbox.pendingCounts(200)).map((c) => ({ stream: `${c.accountId}/${c.streamId}`, pending: c.pending })));
  const pusher = pushWorker({ config, storage, secrets: deps.secrets, now, logger, metrics });
  const keys = signingKeyService({ storage, secrets: deps.secrets, now, prepublishMs: config.ssf.keyPrepublishSeconds * 1000, retentionMs: config.ssf.keyRetentionSeconds * 1000 });
  const issuer = (accountId: string) => issuerOf(config.publicUrl, accountId);
  const enqueue = makeEnqueue({ storage, keys, now, hub, onQueued: (s) => {
    if (s.delivery.method === 'urn:ietf:rfc:8935') pusher.kick();
  } });
  const streams = streamService({
    storage, secrets: deps.secrets, now, issuerOf: issuer, pollUrlOf: (a, s) => endpointsOf(config.publicUrl, a).poll(s),
    outboundUrls: outboundUrlPolicy({ allowPrivateNetwork: config.allowPrivateNetwork }),
    minVerificationIntervalSeconds: config.ssf.minVerificationIntervalSeconds, enqueue, maxStreamsPerReceiver: 100,
  });
  const fanOut = () => fanOutOnce({ storage, now, issuerOf: issuer, enqueue, catalog: deps.catalog, logger, counters: { oktaSkippedNoEmail } }, FAN_OUT_PAGE);
  // Another pass only after a full page: changes written meanwhile in this process come with a
  // kick of their own (one more run), those of other instances with the periodic pass.
  const trigger = coalescingTrigger(async () => {
    while ((await fanOut()) === FAN_OUT_PAGE);
  }, (err) => logger.error('fan-out failed', { error: err }));

  return {
    keys,
    receivers: receiverService(storage, now),
    accessTokens: accessTokenService({ masterKey: deps.masterKey, now, ttlSeconds: config.ssf.accessTokenTtlSeconds }),
    streams,
    issuer,
    endpoints: (accountId: string) => endpointsOf(config.publicUrl, accountId),
    minVerificationIntervalSeconds: config.ssf.minVerificationIntervalSeconds,
    /** Fan out new risk changes now (called after ingestion); the periodic pass catches the rest. */
    kick: () => trigger.kick(),
    /** Look for due push deliveries now (after a redrive). */
    kickPush: () => pusher.kick(),
    /** Resolves once no fan-out is running (tests, shutdown). */
    idle: () => trigger.idle(),
    poll: (stream: Stream, req: PollRequest) =>
      pollStream({ storage, hub, now, holdMs: config.ssf.longPollSeconds * 1000, reread: () => storage.streams.get(stream.accountId, stream.streamId) }, stream, req),
    /** Starts the periodic fan-out (changes from other instances, or left by a crash). */
    startWorkers() {
      pusher.start();
      const periodic = startPeriodic('fan-out', 1000, async () => {
        trigger.kick();
        await trigger.idle();
      }, logger);
      return {
        async stop() {
          hub.close();
          await periodic.stop();
          await trigger.idle();
          // Finish attempts in flight (bounded by the push timeout); unclaimed SETs stay queued.
          await pusher.stop();
        },
      };
    },
  };
}

export type SsfServices = ReturnType<typeof ssfServices>;
