// `plateau init [file]`: writes a commented example spec that validates as is; never
// overwrites an existing file.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXAMPLE_SPEC_YAML } from '../../src/spec/example-spec.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { TextSink } from './validate.js';

export const DEFAULT_SPEC_FILE = 'sweep.yaml';

export function runInit(file: string, stdout: TextSink, stderr: TextSink): ExitCodeValue {
  try {
    // 'wx': create only — refusing is atomic, no check-then-write race.
    writeFileSync(file, EXAMPLE_SPEC_YAML, { flag: 'wx' });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    const reason = code === 'EEXIST' ? 'already exists; not overwriting it (name another file: plateau init other.yaml)' : `cannot be written (${String(code ?? error)})`;
    stderr.write(`${file} ${reason}\n`);
    return ExitCode.badInput;
  }
  stdout.write(`wrote ${file}: an example sweep spec, commented\nnext: plateau validate ${file}\n`);
  return ExitCode.ok;
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(`write a commented example sweep spec (default ${DEFAULT_SPEC_FILE}); never overwrites`)
    .argument('[file]', 'where to write it', DEFAULT_SPEC_FILE)
    .action((file: string) => {
      process.exitCode = runInit(file, process.stdout, process.stderr);
    });
}
