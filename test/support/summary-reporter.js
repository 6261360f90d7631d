// Writes the run's totals to .test-results/<name>.json so .ci/run can print one summary line
// no matter how the test command was started. One file per run: a run of every project (npm test)
// is "jest", a run of one project (npm run test:unit, ...) is named after it, so runs of
// different projects one after another add up; TEST_RESULTS_NAME overrides both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(contexts, results) {
    const dir = join(this.rootDir, '.test-results');
    mkdirSync(dir, { recursive: true });
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests,
      suitesFailed: results.numFailedTestSuites,
    };
    writeFileSync(join(dir, `${resultsName(contexts)}.json`), JSON.stringify(summary));
  }
}

function resultsName(contexts) {
  if (process.env.TEST_RESULTS_NAME) return process.env.TEST_RESULTS_NAME;
  const projects = [...contexts].map((context) => context.config.displayName?.name).filter(Boolean);
  return projects.length === 1 ? projects[0] : 'jest';
}
