import nock from 'nock';

/**
 * For a test file that mocks vendor clouds (Okta, SentinelOne) with nock: no request leaves the
 * machine except to 127.0.0.1 (the app under test), interceptors are cleared after each test, and
 * afterwards node's HTTP client is left unpatched for the next test file this jest worker runs
 * (an active nock intercepted a later file's loopback HTTP). Call it first in the describe block.
 */
export function useNockForVendorClouds(): void {
  beforeAll(() => {
    // A block before this one in the same file (describe.each over stores) left it restored.
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });
}
