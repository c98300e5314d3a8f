import type { SourceType } from '../storage/source-ports.js';
import type { VendorAdapter } from './vendor.js';
import { oktaEventHook } from './okta/adapter.js';

/** Every vendor riskwire takes events from, by source type. One folder per vendor under src/sources/. */
export function vendorAdapters(): ReadonlyMap<SourceType, VendorAdapter<any>> {
  return new Map<SourceType, VendorAdapter<any>>([
    ['okta_event_hook', oktaEventHook()],
  ]);
}
