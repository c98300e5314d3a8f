import { generateKeyPairSync } from 'node:crypto';
import { CompactSign } from 'jose';
import { draftsForChange } from '../src/ssf/set/build-set.js';
import { signSet } from '../src/ssf/set/sign-set.js';
import { EVENTS_SUPPORTED } from '../src/ssf/event-types.js';
import type { RiskChange } from '../src/domain/risk.js';
import type { Stream } from '../src/storage/ssf-ports.js';
import { fmt, printHeader, printTable, printVerdicts, progress } from './lib/report.js';

/**
 * `npm run bench -- sign`: SETs built and signed per second (riskwire's path: draft the CAEP
 * risk-level-change for a stream, serialize, RS256-sign with the account key) next to raw jose
 * RS256 signing of a payload of the same size, in the same run. Target: at least 80% of raw.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

export async function run(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = { kid: 'bench-kid', privateKey };
  const stream: Stream = {
    accountId: 'bench', streamId: 'f67e39a0a4d34d56b3aa1bc4cff0069f', receiverId: 'rcv', aud: 'https://receiver.example.com/caep',
    eventsRequested: [], eventsDelivered: [...EVENTS_SUPPORTED], description: null,
    delivery: { method: 'urn:ietf:rfc:8936', endpointUrl: 'https://riskwire.example/ssf/bench/poll/x', authorizationHeaderSealed: null },
    status: 'enabled', statusReason: null, profile: 'standard', createdAt: new Date(), updatedAt: new Date(), lastVerificationAt: null,
  };
  const user = { id: '81297361-968a-4606-8074-0150df345550', email: 'jane.doe@example.com', identifiers: [] };
  let n = 0;
  const change = (): RiskChange => ({
    accountId: 'bench', id: `c-${n++}`, userId: user.id, previous: 'low', current: 'medium', cause: 'signal', behaviorId: 'high_dlp',
    reason: 'behavior high_dlp (High Number of DLP Policies Triggered) triggered', at: new Date(),
  });
  const issuer = 'https://riskwire.example/ssf/bench';
  const build = () => draftsForChange(change(), user, stream, issuer, new Date(), { deviceBehavior: false })[0]!;
  // The same-size payload for the raw baseline: one real SET's claims, serialized once.
  const sample = new TextEncoder().encode(JSON.stringify(build().claims));
  const raw = () => new CompactSign(sample).setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: key.kid }).sign(privateKey);
  const riskwire = () => signSet(build().claims, key);

  const measure = async (name: string, fn: () => Promise<string>) => {
    progress(`measuring ${name}`);
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    let count = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(SECONDS * 1e9);
    while (process.hrtime.bigint() < end) {
      await fn();
      count++;
    }
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const rawBefore = await measure('raw jose RS256 (before)', raw);
  const ours = await measure('riskwire build + sign', riskwire);
  const rawAfter = await measure('raw jose RS256 (after)', raw);
  const base = (rawBefore + rawAfter) / 2;
  printHeader('sign (SET build + RS256 signing)', [
    `payload: ${sample.length} bytes of claims (a CAEP risk-level-change SET); RSA 2048`,
    `each row: ${SECONDS} s of sequential signing on one thread after 200 warm-up signatures`,
    'command: npm run build && npm run bench -- sign',
  ]);
  printTable(['scenario', 'SETs/s'], [
    ['raw jose CompactSign RS256 (before)', fmt(rawBefore, 0)],
    ['riskwire draftsForChange + signSet', fmt(ours, 0)],
    ['raw jose CompactSign RS256 (after)', fmt(rawAfter, 0)],
  ]);
  printVerdicts([{ name: 'riskwire ÷ raw signing', value: fmt(ours / base, 2), target: '≥ 0.80', pass: ours / base >= 0.8 }]);
}
