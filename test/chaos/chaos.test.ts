/**
 * The chaos run, scaled down for `npm test` (about 30 s of load per backend;
 * `npm run chaos` is the long one): a gateway and two workers with the
 * service's defaults under steady Discord and Slack load while processes are
 * SIGKILLed and restarted, a worker is SIGTERMed, a store is cut off and
 * Chutes fails some requests. Nothing accepted is lost, answered twice or
 * answered with the wrong text, and no platform answers a 429.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos.js';
import { CHAOS_BACKENDS, shortPlan } from './plan.js';
import { printout } from './report.js';

/** Fixed, so a failure's schedule (who is killed when, who asks where) can be replayed. */
const SEED = 20_261_206;

describe.each(CHAOS_BACKENDS)('chaos, queue on %s', (backend) => {
  it('loses nothing, answers nothing twice or wrong, and earns no 429', async () => {
    const lines: string[] = [];
    const report = await runChaos(shortPlan(backend, SEED), (line) => lines.push(line));
    const summary = `${lines.join('\n')}\n${printout([report])}`;
    console.log(summary);

    // The faults happened: the run proves nothing otherwise.
    const killed = new Set(report.kills.map((k) => k.slot));
    expect([...killed].sort(), summary).toEqual(['gateway', 'worker1', 'worker2']);
    expect(report.cuts, summary).toHaveLength(1);
    expect(report.termination?.exitCode, summary).toBe(0);
    expect(report.chutesFaults['429'] + report.chutesFaults['503'], summary).toBeGreaterThan(0);
    expect(report.totals.accepted, summary).toBeGreaterThanOrEqual(10);

    expect(report.totals.lost, summary).toBe(0);
    expect(report.totals.twice, summary).toBe(0);
    expect(report.totals.wrong, summary).toBe(0);
    expect(report.totals.exact, summary).toBe(report.totals.accepted);
    expect(report.rateLimited, summary).toEqual({ discord: 0, slack: 0 });
    expect(report.missed, summary).toEqual([]);
  }, 300_000);
});
