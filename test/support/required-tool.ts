// Tests that need a system tool (prometheus, promtool, chromium, python3, openssl). Where
// the tool is missing they are skipped with the reason in their title, except in CI
// (CI=true), where .ci/run installs every one of them: there a missing tool fails the suite
// instead of quietly skipping the tests that prove the product.
import { describe, it } from 'vitest';

export function describeWithTool(tool: string, available: boolean, title: string, body: () => void): void {
  if (available) {
    describe(title, body);
  } else if (process.env['CI'] === 'true') {
    describe(title, () => {
      it(`needs ${tool}, which .ci/run installs (.ci/apt-packages)`, () => {
        throw new Error(`${tool} is not installed, so "${title}" cannot run: install it (see .ci/apt-packages)`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${tool} is not installed; .ci/run installs it)`, body);
  }
}
