import { AtelierClient } from '#libs/client/src/index.js';
import type { HelpTopic } from './help.js';
import type { ParsedArgs } from './options.js';
import type { ProgressStream } from './terminal/status-line.js';

export interface CliStreams {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
}

/** What a command gets: the client, the output mode and where to write. Results go to stdout, progress and errors to stderr. */
export class CliContext {
  readonly client: AtelierClient;

  constructor(
    readonly apiUrl: string,
    apiKey: string | undefined,
    readonly json: boolean,
    readonly streams: CliStreams,
  ) {
    this.client = new AtelierClient({ baseUrl: apiUrl, apiKey, userAgent: 'atelier-cli/0.1' });
  }

  out(text: string): void {
    this.streams.stdout.write(`${text}\n`);
  }

  outJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  err(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }
}

export interface Command extends HelpTopic {
  /** Resolves with the exit code. */
  run(context: CliContext, args: ParsedArgs): Promise<number>;
}

export function createContext(args: ParsedArgs, streams: CliStreams): CliContext {
  const apiUrl = args.options.string('api-url') ?? streams.env.ATELIER_API_URL ?? 'http://localhost:8080';
  const apiKey = args.options.string('api-key') ?? streams.env.ATELIER_API_KEY;
  return new CliContext(apiUrl, apiKey || undefined, args.options.flag('json'), streams);
}
