/**
 * Prints the plain closing line CI reads (`tests: N passed, M failed[, K skipped]`) and
 * writes the counts to .test-summary.json, so .ci/run can refuse skipped tests.
 */
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    fs.writeFileSync(
      path.join(process.cwd(), '.test-summary.json'),
      JSON.stringify({ passed, failed, skipped, suites: results.numTotalTestSuites, failedSuites: results.numFailedTestSuites }),
    );
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}

module.exports = SummaryReporter;
