import { lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from '../streams/outbound-url.js';

/**
 * A DNS lookup that refuses private, loopback, link-local and metadata addresses: checked on the
 * address actually connected to, so a name that resolved to a public address when a URL was
 * accepted cannot be re-pointed at the inside later (DNS rebinding). Errors carry code ESSRF.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      const bad = !allowPrivate && list.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(Object.assign(new Error(`refusing ${hostname}: resolves to non-public address ${bad.address}`), { code: 'ESSRF' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
