/**
 * Jest runs the TypeScript sources as native ES modules (see docs/module-setup.md):
 * ts-jest transpiles each file in isolation (type checking is `npm run typecheck`,
 * run by `pretest`), and the mapper strips the `.js` suffix NodeNext imports carry.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
  // Several files start servers and open stores; two workers match the machine.
  maxWorkers: 2,
};
