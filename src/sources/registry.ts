import type { SourceType } from '../storage/source-ports.js';
import type { VendorAdapter } from './vendor.js';
import { crowdstrikeAdapter } from './crowdstrike/adapter.js';
import { oktaEventHook } from './okta/adapter.js';
import { sentinelOneAdapter } from './sentinelone/adapter.js';
import { guardedFetch } from '../ssf/outbound/guarded-fetch.js';

/** Every vendor riskwire takes events from, by source type. One folder per vendor under src/sources/. */
export function vendorAdapters(opts: { allowPrivateNetwork: boolean }): ReadonlyMap<SourceType, VendorAdapter<any>> {
  return new Map<SourceType, VendorAdapter<any>>([
    ['crowdstrike', crowdstrikeAdapter()],
    ['okta_event_hook', oktaEventHook()],
    // Outbound calls to a SentinelOne console follow the deployment's outbound rules.
    ['sentinelone', sentinelOneAdapter({ fetch: guardedFetch({ allowPrivateNetwork: opts.allowPrivateNetwork, timeoutMs: 5_000, maxBytes: 1024 * 1024 }) })],
  ]);
}
