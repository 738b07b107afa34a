// async-exit-hook ships no types; only what src/db/embedded.ts uses.
declare module 'async-exit-hook' {
  interface AsyncExitHook {
    (hook: (done?: () => void) => unknown): void;
    /** The process events it listens to, e.g. ['exit', 'beforeExit', 'SIGINT', …]. */
    hookedEvents(): string[];
    /** Removes its listener for one process event. */
    unhookEvent(event: string): void;
  }
  const exitHook: AsyncExitHook;
  export = exitHook;
}
