// Writes the run's totals to .test-results/<name>.json so .ci/run can print one summary line
// no matter how the test command was started.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = join(this.rootDir, '.test-results');
    mkdirSync(dir, { recursive: true });
    const name = process.env.TEST_RESULTS_NAME || 'jest';
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests,
      suitesFailed: results.numFailedTestSuites,
    };
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(summary));
  }
}
