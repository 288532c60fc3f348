import { z } from 'zod';

/**
 * TEST HOOK. `ATELIER_FAULT_POINT=<name>` makes the process kill itself with SIGKILL when it
 * reaches the fault point of that name, e.g. `after-transition:generation.succeeded` (right after
 * the transition script returned, before anything else runs). Fault tests use it to crash a
 * process at an exact point; unset (always, in production), a fault point does nothing.
 */
const armed = z.string().default('').parse(process.env.ATELIER_FAULT_POINT);

export function faultPoint(name: string): void {
  if (armed !== '' && armed === name) process.kill(process.pid, 'SIGKILL');
}
