import type { Command } from 'commander';
import { registerCoordinatorCommand } from './coordinator.js';
import { registerAgentCommand } from './agent.js';
import { registerValidateCommand } from './validate.js';
import { registerInitCommand } from './init.js';
import { registerRunCommand } from './run.js';
import { registerReportCommand } from './report.js';
import { registerSubmitCommand } from './submit.js';
import { registerStatusCommand } from './status.js';
import { registerWatchCommand } from './watch.js';
import { registerResultsCommand } from './results.js';
import { registerCancelCommand } from './cancel.js';
import { registerTrainCommand } from './train.js';
import { registerGcCommand } from './gc.js';

// Each command lives in its own module and registers itself here: one line per command.
export function registerCommands(program: Command): void {
  void program;
  registerValidateCommand(program);
  registerInitCommand(program);
  registerRunCommand(program);
  registerCoordinatorCommand(program);
  registerAgentCommand(program);
  registerReportCommand(program);
  registerSubmitCommand(program);
  registerStatusCommand(program);
  registerWatchCommand(program);
  registerResultsCommand(program);
  registerCancelCommand(program);
  registerTrainCommand(program);
  registerGcCommand(program);
}
