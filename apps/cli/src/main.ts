import { runCli } from './cli.js';

// Exit code without process.exit(): stdout to a pipe is asynchronous on some platforms and must drain first.
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
