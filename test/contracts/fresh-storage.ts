import type { Storage } from '../../src/storage/ports.js';
import { anAccount } from '../helpers/factories.js';

/**
 * Gives every test of a contract suite a fresh store and a fresh account id, and closes the store
 * after the test. `use` receives both; suites keep them in their own `let`s.
 */
export function eachFreshStorage(makeStorage: () => Promise<Storage>, use: (storage: Storage, accountId: string) => void): void {
  let current: Storage | undefined;
  beforeEach(async () => {
    current = await makeStorage();
    use(current, anAccount().id);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}
