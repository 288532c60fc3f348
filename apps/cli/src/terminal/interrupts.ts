export interface InterruptHandlers {
  /** First Ctrl-C (or SIGTERM): stop gracefully. */
  readonly first: () => void;
  /** Second one: the user means it. */
  readonly second: () => void;
}

/** Installs SIGINT/SIGTERM handlers for the life of a command; returns the function that removes them. */
export function onInterrupt(handlers: InterruptHandlers): () => void {
  let count = 0;
  const listener = (): void => {
    count++;
    if (count === 1) handlers.first();
    else handlers.second();
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
