import type { Storage } from '../../src/storage/ports.js';
import { describeAccountStoreContract } from './account-store.contract.js';
import { describeApiTokenStoreContract } from './api-token-store.contract.js';
import { describeAuditLogStoreContract } from './audit-log-store.contract.js';
import { describeBehaviorStoreContract } from './behavior-store.contract.js';
import { describeUserStoreContract } from './user-store.contract.js';
import { describeRiskStoreContract } from './risk-store.contract.js';
import { describeInboundStoreContracts } from './inbound-stores.contract.js';
import { describeSourceStoreContract } from './source-store.contract.js';
import { describeIntegrationStoreContract, describeOutboxPushContract, describeSsfStoreContracts } from './ssf-stores.contract.js';

/**
 * Every port's contract, for one adapter. `makeStorage` must return a fresh, empty store each
 * call; `makeInstances` two stores opened separately on one fresh, empty database, as two
 * riskwire instances would open it. Later ports add their contract here, so both adapters pick
 * it up.
 */
export function describeStorageContracts(name: string, makeStorage: () => Promise<Storage>, makeInstances: () => Promise<[Storage, Storage]>): void {
  describe(`${name}: storage lifecycle`, () => {
    it('pings, and close is safe to call twice', async () => {
      const s = await makeStorage();
      await expect(s.ping()).resolves.toBeUndefined();
      await s.close();
      await expect(s.close()).resolves.toBeUndefined();
    });
  });
  describeAccountStoreContract(name, makeStorage);
  describeApiTokenStoreContract(name, makeStorage);
  describeAuditLogStoreContract(name, makeStorage);
  describeBehaviorStoreContract(name, makeStorage);
  describeUserStoreContract(name, makeStorage);
  describeRiskStoreContract(name, makeStorage);
  describeSsfStoreContracts(name, makeStorage);
  describeIntegrationStoreContract(name, makeStorage);
  describeOutboxPushContract(name, makeStorage, makeInstances);
  describeInboundStoreContracts(name, makeStorage);
  describeSourceStoreContract(name, makeStorage);
}
