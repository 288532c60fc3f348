import { AtelierClient } from '@atelier/client';
import type { HelpTopic } from './help.js';
import type { ParsedArgs } from './options.js';
import { StatusLine, type ProgressStream } from './terminal/status-line.js';

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
    this.client = new AtelierClient({
      baseUrl: apiUrl,
      apiKey,
      userAgent: 'atelier-cli/0.1',
      // A wait of up to a minute (a queue limit says 30 s) must not look like a hang.
      onRetry: (retry) => this.err(`atelier: ${retry.request}: ${retry.reason}; retrying in ${Math.ceil(retry.delayMs / 1000)} s`),
    });
  }

  out(text: string): void {
    this.streams.stdout.write(`${text}\n`);
  }

  outJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Set while a live progress line is drawn, so that messages go above it instead of through it. */
  statusLine: StatusLine | undefined;

  err(text: string): void {
    if (this.statusLine) this.statusLine.log(text);
    else this.streams.stderr.write(`${text}\n`);
  }

  /** A live line on stderr that messages from `err` respect. */
  progressLine(): StatusLine {
    this.statusLine = new StatusLine(this.streams.stderr);
    return this.statusLine;
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
