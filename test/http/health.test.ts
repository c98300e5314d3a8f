import { call, startTestApp } from '../helpers/test-app.js';

describe('health, readiness and metrics', () => {
  it('/healthz and /readyz answer 200 while storage is up; /readyz 503 when it is not', async () => {
    const t = await startTestApp();
    try {
      expect(await call(`${t.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await call(`${t.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
      await t.app.storage.close();
      const down = await call(`${t.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.body.error_description).toMatch(/storage/);
      expect(await call(`${t.url}/healthz`)).toMatchObject({ status: 200 });
    } finally {
      await t.close();
    }
  });

  it('/metrics counts requests by route pattern and status, never by raw path', async () => {
    const t = await startTestApp();
    try {
      await call(`${t.url}/client/v4/accounts/acme`, { token: t.token });
      await call(`${t.url}/client/v4/accounts/acme`);
      const r = await call(`${t.url}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(r.text).toMatch(/riskwire_http_requests_total\{method="GET",route="\/client\/v4\/accounts\/:account_id",status="200"\} 1/);
      expect(r.text).toMatch(/riskwire_http_requests_total\{method="GET",route="\/client\/v4\/accounts\/:account_id",status="401"\} 1/);
      expect(r.text).toMatch(/riskwire_http_request_duration_seconds_bucket\{/);
      expect(r.text).not.toContain('route="/client/v4/accounts/acme"');
    } finally {
      await t.close();
    }
  });
});
