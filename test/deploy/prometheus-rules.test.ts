// deploy/prometheus through promtool: the config and the alert rules are valid, and the rule
// unit tests (alerts.test.yml) pass. Skipped where promtool is not installed, failed for that in CI.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { findExecutable } from '../metrics/prometheus-support.js';
import { describeWithTool } from '../support/required-tool.js';

const promtool = findExecutable('promtool');
const prometheusDir = fileURLToPath(new URL('../../deploy/prometheus', import.meta.url));

function run(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool ?? 'promtool', args, { cwd: prometheusDir, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describeWithTool('promtool', promtool !== null, 'deploy/prometheus through promtool', () => {
  it('passes promtool check config (which loads alerts.yml too)', () => {
    const result = run(['check', 'config', 'prometheus.yml']);
    expect(result.output).toContain('SUCCESS');
    expect(result.status, result.output).toBe(0);
  });

  it('passes promtool check rules', () => {
    const result = run(['check', 'rules', 'alerts.yml']);
    expect(result.status, result.output).toBe(0);
  });

  it('passes the rule unit tests in alerts.test.yml', () => {
    const result = run(['test', 'rules', 'alerts.test.yml']);
    expect(result.status, result.output).toBe(0);
  });
});
