// `plateau submit spec.yaml`: validate here, then hand the sweep to a running coordinator.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadSweepSpecFile } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/spec-error.js';
import type { SweepSpec } from '../../src/spec/sweep-spec.js';
import { formatBytes } from '../../src/artifacts/format-bytes.js';
import { stageSpec, StageError } from '../../src/artifacts/stage.js';
import { createGrpcArtifactClient } from '../../src/rpc/grpc-artifact-client.js';
import { resolveClientSecurity } from '../../src/security/connection-security.js';
import { addCoordinatorOption, type CoordinatorConnectionOptions, CLIENT_EXIT_CODES_HELP, runClientCommand } from '../client-command.js';
import { ExitCode } from '../exit-codes.js';

interface SubmitOptions extends CoordinatorConnectionOptions {
  readonly allowLarge?: boolean;
  readonly allowPaths?: boolean;
  readonly json?: boolean;
}

export function registerSubmitCommand(program: Command): void {
  const command = program
    .command('submit')
    .description('validate a sweep spec and submit it to a running coordinator (resubmitting resumes it)')
    .argument('<spec>', 'sweep spec file (YAML)')
    .option('--allow-large', 'allow grids over the trial limit')
    .option('--allow-paths', "let the spec's CSV / model.json paths point outside its directory")
    .option('--json', 'print {sweepId, name, resumed, totalTrials, uploadedBytes, resumedBytes} as JSON');
  addCoordinatorOption(command)
    .addHelpText(
      'after',
      `\nExample:\n  $ plateau submit examples/quick.yaml --coordinator 10.0.0.5:50051\n  $ plateau watch <SWEEP> --coordinator 10.0.0.5:50051\n${CLIENT_EXIT_CODES_HELP}\n`,
    )
    .action(async (specFile: string, options: SubmitOptions) => {
      let spec: SweepSpec;
      let source: string;
      try {
        spec = loadSweepSpecFile(specFile, { allowLarge: options.allowLarge === true, allowPaths: options.allowPaths === true });
        source = readFileSync(specFile, 'utf8');
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        process.stderr.write(`${error.format()}\n`);
        process.exitCode = ExitCode.badInput;
        return;
      }
      process.exitCode = await runClientCommand(options, async (client, address) => {
        const artifacts = createGrpcArtifactClient(address, resolveClientSecurity(options));
        let staged: Awaited<ReturnType<typeof stageSpec>>;
        try {
          staged = await stageSpec(spec, artifacts, {
            onUpload: (blob, offset) =>
              process.stderr.write(`Uploading ${blob.name} (${formatBytes(blob.size - offset)}${offset > 0 ? `, resuming after ${formatBytes(offset)}` : ''})\n`),
          });
        } catch (error) {
          if (!(error instanceof StageError)) throw error;
          process.stderr.write(`${specFile}: ${error.message}\n`);
          return ExitCode.badInput;
        } finally {
          artifacts.close();
        }
        const { report } = staged;
        if (report.files > 0) {
          process.stderr.write(`Files: ${report.files} (${formatBytes(report.bytesHashed)}); uploaded ${report.bytesUploaded} bytes in ${report.blobsUploaded} blob${report.blobsUploaded === 1 ? '' : 's'}\n`);
        }
        const submitted = await client.submit(staged.spec, source);
        if (options.json === true) {
          process.stdout.write(
            `${JSON.stringify({ sweepId: submitted.sweepId, name: spec.name, resumed: submitted.resumed, totalTrials: submitted.totalTrials, uploadedBytes: report.bytesUploaded, resumedBytes: report.bytesResumed })}\n`,
          );
        } else {
          const verb = submitted.resumed ? 'Resumed' : 'Submitted';
          const note = submitted.resumed ? ' (already known: finished trials are kept, the rest go on)' : '';
          process.stdout.write(
            `${verb} sweep "${spec.name}": ${submitted.sweepId}, ${submitted.totalTrials} trials${note}\n` +
              `Watch it with: plateau watch ${submitted.sweepId} --coordinator ${address}\n`,
          );
        }
        return ExitCode.ok;
      });
    });
}
