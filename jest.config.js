/**
 * Jest runs in ESM mode: NestJS 12 ships ES modules only. One project per kind of test, so each
 * kind can be run alone (`npm run test:unit`, `test:e2e`, ...: package.json; `--selectProjects`);
 * `npm test` runs them all. README "Tests" lists what each holds and what it needs.
 */
const shared = {
  testEnvironment: 'node',
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testPathIgnorePatterns: ['/node_modules/'],
};

/** Builds dist/ once per run, for the projects that start `node dist/main.js` or need its files. */
const needsDist = { globalSetup: '<rootDir>/test/support/global-setup.js' };

const projects = [
  {
    // Beside the code, and the pure checks under test/ (docs, lockfile, benchmark options): no
    // database, no Redis, no server process, no network. Named *.spec.ts, unlike every other kind.
    displayName: 'unit',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  },
  {
    // The real app on port 0 (in process, or node dist/main.js) with real socket.io clients:
    // test/e2e, test/security, and any other directory of test/ that no project below claims, so
    // a new suite runs somewhere from its first commit. Some files use PostgreSQL and Redis.
    displayName: 'e2e',
    testMatch: ['<rootDir>/test/**/*.{e2e,int}-spec.ts'],
    testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '<rootDir>/test/(persistence|cluster|browser|bench|container)/'],
    ...needsDist,
  },
  {
    // Store contract on every engine, crashes, outages, migrations, retention: PostgreSQL needed.
    displayName: 'persistence',
    testMatch: ['<rootDir>/test/persistence/**/*.{e2e,int}-spec.ts'],
    ...needsDist,
  },
  {
    // Several node dist/main.js processes on PostgreSQL and Redis.
    displayName: 'cluster',
    testMatch: ['<rootDir>/test/cluster/**/*.int-spec.ts'],
    ...needsDist,
  },
  {
    // The demo page in headless Chromium against an in-process app.
    displayName: 'browser',
    testMatch: ['<rootDir>/test/browser/**/*.e2e-spec.ts'],
  },
  {
    // The benchmark harness end to end in its quick mode: it must not rot; no figure is asserted.
    displayName: 'bench',
    testMatch: ['<rootDir>/test/bench/**/*.e2e-spec.ts'],
    ...needsDist,
  },
];

// The container tests build an image with podman: they run through `npm run test:container`
// (which sets CONTAINER_TESTS) only, never as part of `npm test`.
if (process.env.CONTAINER_TESTS) {
  projects.push({ displayName: 'container', testMatch: ['<rootDir>/test/container/**/*.e2e-spec.ts'] });
}

export default {
  projects: projects.map((project) => ({ ...shared, ...project })),
  // A run-wide option: jest-circus takes it from the top level, not from a project.
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
