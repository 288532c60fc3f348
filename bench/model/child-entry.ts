/**
 * Entry of a bench child process: reads its request from argv[2] (JSON), prints its result as one
 * JSON line, and exits (0, or 1 with the error on stderr). Each measurement runs in a fresh
 * process so load time and peak RSS belong to it alone.
 */
export function answerAsChild<Request, Result>(measure: (request: Request) => Promise<Result>): void {
  measure(JSON.parse(process.argv[2] ?? '{}') as Request).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
