import type { Clock } from '../../domain/clock.js';
import type { Storage } from '../../storage/ports.js';
import type { Stream } from '../../storage/ssf-ports.js';
import type { SigningKeyService } from '../keys/signing-keys.js';
import type { SetDraft } from '../set/build-set.js';
import { signSet } from '../set/sign-set.js';
import { streamKey, type PollHub } from './poll-hub.js';

/** `control`: a stream-updated notice, queued even for a disabled stream (SSF §8.1.5). */
export type Enqueue = (stream: Stream, draft: SetDraft, sourceId: string, opts?: { control?: boolean }) => Promise<void>;

/**
 * Signs a SET and puts it in the stream's durable outbox, in the step that decides it. A paused
 * stream holds it (delivered in order when enabled); a disabled stream drops it (SSF §8.1.2.1).
 * Idempotent by (stream, sourceId), so re-running a fan-out after a crash duplicates nothing.
 */
export function makeEnqueue(deps: { storage: Storage; keys: SigningKeyService; now: Clock; hub: PollHub; onQueued?: (stream: Stream) => void }): Enqueue {
  return async (stream, draft, sourceId, opts = {}) => {
    if (stream.status === 'disabled' && !opts.control) return;
    const set = await signSet(draft.claims, await deps.keys.active(stream.accountId));
    const queued = await deps.storage.outbox.enqueue({
      accountId: stream.accountId, streamId: stream.streamId, jti: draft.claims.jti as string, set, subjectKey: draft.subjectKey,
      eventType: draft.eventType, sourceId, createdAt: deps.now(),
    });
    if (queued) {
      deps.hub.wake(streamKey(stream.accountId, stream.streamId));
      deps.onQueued?.(stream);
    }
  };
}
