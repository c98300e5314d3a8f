import { createHmac, timingSafeEqual } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { startDurableFloorServer, type FloorIntake } from './durable-floor-server.js';

/**
 * A durable floor (durable-floor-server.ts) as a child process of its own, as riskwire and the
 * bare server run in the webhook and push benchmarks: `fork(this file, [kind])` with the
 * settings in the environment; the child sends its URL once listening.
 *
 * - `crowdstrike` (FLOOR_SECRET): the Falcon signature checked as riskwire checks it (base64
 *   HMAC-SHA256 over body ‖ timestamp, constant-time, timestamp within 5 minutes), the JSON
 *   parsed, the event stored under its CompositeId; 204.
 * - `set-push` (FLOOR_JWK, FLOOR_ISSUER, FLOOR_AUDIENCE): the SET verified with jose against
 *   the transmitter's key, `typ`, `iss` and `aud` checked, stored under its `jti`; 202.
 *
 * FLOOR_SCORING=after-answer makes either a scoring floor that scores after answering, as
 * riskwire's webhook and push endpoints do (the user: the event's `UserName`, the SET's email subject).
 */
const intakes: Record<string, () => Promise<FloorIntake>> = {
  crowdstrike: async () => {
    const secret = process.env.FLOOR_SECRET ?? '';
    return (body, headers) => {
      const ts = String(headers['x-cs-delivery-timestamp'] ?? '');
      const given = Buffer.from(String(headers['x-cs-primary-signature'] ?? ''), 'base64');
      const expected = createHmac('sha256', secret).update(body).update(ts).digest();
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('signature mismatch');
      if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) throw new Error('stale timestamp');
      const text = body.toString('utf8');
      const { event } = JSON.parse(text) as { event: { CompositeId: string; UserName?: string } };
      return { rows: [{ id: event.CompositeId, body: text, user: event.UserName }], status: 204 };
    };
  },
  'set-push': async () => {
    const key = await importJWK(JSON.parse(process.env.FLOOR_JWK ?? '{}') as JWK, 'RS256');
    const issuer = process.env.FLOOR_ISSUER;
    const audience = process.env.FLOOR_AUDIENCE ?? '';
    return async (body) => {
      const jws = body.toString('ascii');
      const { protectedHeader, payload } = await compactVerify(jws, key, { algorithms: ['RS256'] });
      const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as { iss?: string; aud?: string | string[]; jti?: string; sub_id?: { email?: string } };
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (protectedHeader.typ !== 'secevent+jwt' || claims.iss !== issuer || !aud.includes(audience) || !claims.jti) throw new Error('invalid SET');
      return { rows: [{ id: claims.jti, body: jws, user: claims.sub_id?.email }], status: 202 };
    };
  },
};

const make = intakes[process.argv[2] ?? ''];
if (!make || !process.send) throw new Error(`usage: fork(floor-process.js, [${Object.keys(intakes).join(' | ')}])`);
const server = await startDurableFloorServer(await make(), { scoring: process.env.FLOOR_SCORING === 'after-answer' ? 'after-answer' : 'none' });
process.send(server.url);
