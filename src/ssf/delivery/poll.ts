import type { Clock } from '../../domain/clock.js';
import { errors } from '../../domain/errors.js';
import type { Storage } from '../../storage/ports.js';
import { POLL, type Stream } from '../../storage/ssf-ports.js';
import { streamKey, type PollHub } from './poll-hub.js';
import { EVENT } from '../event-types.js';

/** An RFC 8936 §2.2 poll request, already validated. */
export interface PollRequest {
  maxEvents?: number | undefined;
  returnImmediately?: boolean | undefined;
  ack?: string[] | undefined;
  setErrs?: Record<string, { err: string; description?: string | undefined }> | undefined;
}

/**
 * RFC 8936 poll delivery for one stream: acknowledgements and errors first, then up to
 * `maxEvents` pending SETs, oldest first. With no SET ready and no `returnImmediately`, the
 * request is held (long poll) until one is queued or `holdMs` passes. Unacknowledged SETs are
 * offered again on the next poll; a SET reported in `setErrs` is not. A paused stream returns
 * nothing (SSF §8.1.2.1).
 */
export async function pollStream(
  deps: { storage: Storage; hub: PollHub; now: Clock; holdMs: number; reread: () => Promise<Stream | null> },
  stream: Stream,
  req: PollRequest,
): Promise<{ sets: Record<string, string>; moreAvailable?: boolean }> {
  if (stream.delivery.method !== POLL) throw errors.badRequest('this stream uses push delivery; it cannot be polled');
  const { accountId, streamId } = stream;
  if (req.ack?.length) await deps.storage.outbox.markDelivered(accountId, streamId, req.ack, deps.now());
  const errs = Object.entries(req.setErrs ?? {});
  if (errs.length) {
    await deps.storage.outbox.markFailed(accountId, streamId, errs.map(([jti, e]) => ({ jti, error: `${e.err}${e.description ? `: ${e.description}` : ''}` })), deps.now());
  }
  const max = req.maxEvents;
  if (max === 0) return { sets: {} }; // RFC 8936 §2.4: acknowledge-only
  const limit = Math.min(max ?? 1000, 1000);
  const deadline = Date.now() + deps.holdMs;
  let current: Stream | null = stream;
  for (;;) {
    if (current) {
      // A stopped stream hands out nothing but stream-updated notices (SSF §8.1.5: the receiver
      // must learn that the transmitter paused or disabled it); everything else waits or is gone.
      const all = await deps.storage.outbox.pending(accountId, streamId, current.status === 'enabled' ? limit + 1 : 1000);
      const pending = current.status === 'enabled' ? all : all.filter((e) => e.eventType === EVENT.streamUpdated);
      if (pending.length) {
        const sets = Object.fromEntries(pending.slice(0, limit).map((e) => [e.jti, e.set]));
        return pending.length > limit ? { sets, moreAvailable: true } : { sets };
      }
    }
    const left = deadline - Date.now();
    if (req.returnImmediately === true || left <= 0 || !current || deps.hub.closing) return { sets: {} };
    // Woken by a SET queued in this process; otherwise re-check every second (other instances).
    await deps.hub.wait(streamKey(accountId, streamId), Math.min(left, 1000));
    current = await deps.reread();
  }
}
