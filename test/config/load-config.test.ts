import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({}, '/srv/rw');
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:8080',
      dataDir: path.resolve('/srv/rw', 'data'),
      storage: { kind: 'sqlite', path: path.resolve('/srv/rw', 'data', 'riskwire.db') },
      masterKey: undefined,
      bootstrap: undefined,
      allowPrivateNetwork: false,
      http: { bodyLimitBytes: 1024 * 1024 },
      log: { level: 'info', format: 'json' },
    });
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from a given one', () => {
    expect(loadConfig({ PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ PUBLIC_URL: 'https://risk.example.com/base/' }).publicUrl).toBe('https://risk.example.com/base');
  });

  it('selects MongoDB when MONGODB_URI is set', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017/rw' }).storage).toEqual({ kind: 'mongodb', uri: 'mongodb://db:27017/rw' });
  });

  it('parses flags and sizes', () => {
    const c = loadConfig({ RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true', RISKWIRE_BODY_LIMIT: '64kb', LOG_FORMAT: 'pretty' });
    expect(c.allowPrivateNetwork).toBe(true);
    expect(c.http.bodyLimitBytes).toBe(65536);
    expect(c.log.format).toBe('pretty');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '' }).storage.kind).toBe('sqlite');
  });

  it('reports every problem at once, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        MONGODB_URI: 'postgres://nope',
        RISKWIRE_ALLOW_PRIVATE_NETWORK: 'maybe',
        LOG_FORMAT: 'xml',
        RISKWIRE_BOOTSTRAP_ACCOUNT: 'Bad Id!',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'MONGODB_URI', 'RISKWIRE_ALLOW_PRIVATE_NETWORK', 'LOG_FORMAT', 'RISKWIRE_BOOTSTRAP_ACCOUNT']) {
      expect(problems).toContain(name);
    }
  });

  it('requires bootstrap account and token together, and a long enough token', () => {
    expect(() => loadConfig({ RISKWIRE_BOOTSTRAP_ACCOUNT: 'acme' })).toThrow(/must be set together/);
    expect(() => loadConfig({ RISKWIRE_BOOTSTRAP_ACCOUNT: 'acme', RISKWIRE_BOOTSTRAP_TOKEN: 'short' })).toThrow(/at least 24/);
  });

  it('refuses a PUBLIC_URL with a query or fragment (it becomes the SSF issuer)', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'https://x.example.com/?a=1' })).toThrow(/query or fragment/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://x.example.com' })).toThrow(ConfigError);
  });

  it('derives the push lease from the push timeout unless given, and refuses one no longer than an attempt', () => {
    expect(loadConfig({}).push.leaseMs).toBe(25_000);
    expect(loadConfig({ RISKWIRE_PUSH_TIMEOUT_MS: '1000' }).push.leaseMs).toBe(7000);
    expect(loadConfig({ RISKWIRE_PUSH_TIMEOUT_MS: '1000', RISKWIRE_PUSH_LEASE_MS: '3000' }).push.leaseMs).toBe(3000);
    expect(() => loadConfig({ RISKWIRE_PUSH_TIMEOUT_MS: '5000', RISKWIRE_PUSH_LEASE_MS: '5000' })).toThrow(/RISKWIRE_PUSH_LEASE_MS.*longer than RISKWIRE_PUSH_TIMEOUT_MS/);
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.storage)).toBe(true);
  });
});
