import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: e2e files spawn the service as a child process, so keep the
    // number of files running at once small. Three, not two: most of an e2e
    // file's time is waiting (restarts, leases, outages), and the suite keeps
    // within its 10 minutes (669 s with two, 541 s with three, same machine).
    pool: 'forks',
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
