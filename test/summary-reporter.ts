import { writeSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints the plain closing line `N passed, M failed, K skipped` after vitest's
 * own summary, the line CI reads to count tests. Counts are taken when the run
 * ends and printed from `onFinished`, which vitest calls after its summary.
 */
export default class SummaryReporter implements Reporter {
  private line = "";

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      if (module.state() === "failed" && tests.length === 0) failed++;
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  onFinished(): void {
    // Synchronous: vitest may exit before an asynchronous stdout write drains.
    writeSync(1, `\n${this.line}\n`);
  }
}
