import { batchCommand } from './commands/batch.js';
import { cancelCommand } from './commands/cancel.js';
import { modelsCommand, schedulersCommand, stylesCommand } from './commands/catalog.js';
import { generateCommand } from './commands/generate.js';
import { preprocessCommand } from './commands/preprocess.js';
import { restoreFacesCommand } from './commands/restore-faces.js';
import { segmentCommand } from './commands/segment.js';
import { upscaleCommand } from './commands/upscale.js';
import { statusCommand } from './commands/status.js';
import { trainCommand } from './commands/train.js';
import { createContext, type CliStreams, type Command } from './context.js';
import { describeError, exitCodeFor } from './describe-error.js';
import { commandHelp, generalHelp } from './help.js';
import { GLOBAL_OPTIONS, parseCommandArgs, splitCommand } from './options.js';
import { UsageError } from './usage-error.js';

export const COMMANDS: readonly Command[] = [generateCommand, batchCommand, statusCommand, cancelCommand, modelsCommand, schedulersCommand, stylesCommand, trainCommand, preprocessCommand, upscaleCommand, restoreFacesCommand, segmentCommand];

/** The whole `atelier` command line; resolves with the exit code (0 ok, 1 failed, 2 usage, 130 interrupted). */
export async function runCli(argv: readonly string[], streams: CliStreams): Promise<number> {
  let apiUrl = streams.env.ATELIER_API_URL ?? 'http://localhost:8080';
  let commandName: string | undefined;
  try {
    const { command: name, rest } = splitCommand(argv);
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((command) => command.name === rest.find((arg) => !arg.startsWith('-'))) : undefined;
      const asked = name === 'help' || rest.includes('--help') || rest.includes('-h');
      (asked ? streams.stdout : streams.stderr).write(topic ? commandHelp(topic) : generalHelp(COMMANDS));
      return asked ? 0 : 2;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((candidate) => candidate.name).join(', ')}`);
    commandName = command.name;
    const args = parseCommandArgs(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.name);
    if (args.options.flag('help')) {
      streams.stdout.write(commandHelp(command));
      return 0;
    }
    const context = createContext(args, streams);
    apiUrl = context.apiUrl;
    return await command.run(context, args);
  } catch (error) {
    const usage = error instanceof UsageError && !error.command && commandName ? new UsageError(error.message, commandName) : error;
    streams.stderr.write(`atelier: ${describeError(usage, apiUrl)}\n`);
    return exitCodeFor(error);
  }
}
