/** Jest runs in ESM mode: NestJS 12 ships ES modules only. */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec|int-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // The container test builds an image with podman: it runs through `npm run test:container` only.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.CONTAINER_TESTS ? [] : ['<rootDir>/test/container/'])],
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/support/global-setup.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
