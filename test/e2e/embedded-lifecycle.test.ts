/**
 * The embedded Postgres from the outside, across processes: a process that
 * joined another's cluster takes it over when the owner stops (or exits 1,
 * saying why, when it cannot); an idle stop logs nothing at warn or above;
 * a Ctrl-C during the very first start leaves a cluster the next start opens.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceProcess } from './service-process.js';
import { ANN, channel, startStack, type Stack } from './stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function health(service: ServiceProcess): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${service.port}/healthz`).catch(() => undefined);
  return response?.status ?? 0;
}

async function healthyWithin(service: ServiceProcess, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
    if ((await health(service)) === 200) return true;
  }
  return false;
}

async function statePort(s: Stack): Promise<number> {
  const state = JSON.parse(
    await readFile(path.join(s.dataDir, 'embedded-postgres.json'), 'utf8'),
  ) as { port: number };
  return state.port;
}

/** What a process logged at warn or above. */
const loud = (service: ServiceProcess) => service.logs.filter((l) => l.level >= 40);

describe('a process that joined another’s embedded Postgres', () => {
  it('takes it over when the owner stops: healthy again, answering, on the same port', async () => {
    // The owner runs no gateway; the joiner is the whole service.
    stack = await startStack({ topology: 'embedded', env: { ROLE: 'worker' } });
    const owner = stack.service;
    const joiner = await stack.startService({ ROLE: 'all' });
    expect(joiner.logs.find((l) => l.msg === 'embedded PostgreSQL is up')?.joined).toBe(true);
    const port = await statePort(stack);

    expect(await owner.stop()).toBe(0);
    const stoppedAt = Date.now();
    expect(await healthyWithin(joiner, 15_000)).toBe(true);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    const took = await joiner.waitForLog((l) => l.msg.startsWith('took over the embedded'), 5_000);
    expect(took.msg).toBe(
      `took over the embedded PostgreSQL from the stopped process ${owner.pid}`,
    );
    expect(await statePort(stack)).toBe(port);

    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'still there?',
      mentionsBot: true,
    });
    await stack.discord.waitFor(
      () => stack!.botMessages(channel(1)).find((m) => m.content.startsWith('You said')),
      20_000,
      'an answer from the process that took over',
    );
    // It owns the cluster now: its stop stops Postgres, last.
    expect(await joiner.stop()).toBe(0);
    expect(joiner.logs.at(-1)?.msg).toBe('embedded PostgreSQL stopped');
    expect(joiner.errors()).toEqual([]);
  }, 120_000);

  it('exits with code 1 and a sentence when it cannot take over on the same port', async () => {
    stack = await startStack({ topology: 'embedded', env: { ROLE: 'worker' } });
    const owner = stack.service;
    const joiner = await stack.startService({ ROLE: 'worker' });
    const port = await statePort(stack);

    // The joiner is paused while the owner stops and another program takes
    // the port, so that it cannot take over first (it looks once a second).
    process.kill(joiner.pid, 'SIGSTOP');
    // A program that accepts connections and never answers them: the
    // joiner's stop must not wait on its database connections.
    const squatter: Server = createServer(() => undefined);
    try {
      expect(await owner.stop()).toBe(0);
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.listen(port, '127.0.0.1', resolve);
      });
      const pausedAt = Date.now();
      process.kill(joiner.pid, 'SIGCONT');
      const code = await Promise.race([joiner.whenExited(), sleep(40_000).then(() => 'hung')]);
      if (code !== 1) console.log(joiner.output.slice(-40).join('\n'));
      expect(code).toBe(1);
      // The bound of a stop without a database (CLOSE_MS), with room for a loaded machine.
      expect(Date.now() - pausedAt).toBeLessThan(20_000);
    } finally {
      squatter.close();
    }
    const said = joiner.errors().map((l) => l.msg);
    if (said.length === 0) console.log(joiner.output.slice(-40).join('\n'));
    expect(said.join('\n')).toContain(
      `stopped with the process that ran it (${owner.pid}), and it could not be taken over: port ${port} on 127.0.0.1 is taken by another program: this process stops; start chutes-bot again.`,
    );
  }, 120_000);
});

describe('the owner of the embedded Postgres', () => {
  it('stops idle on SIGTERM with nothing logged at warn or above, three times in a row', async () => {
    stack = await startStack({ topology: 'embedded' });
    for (let round = 0; round < 3; round++) {
      const service = round === 0 ? stack.service : await stack.startService();
      await sleep(1_000);
      expect(await service.stop()).toBe(0);
      expect(loud(service)).toEqual([]);
      expect(service.logs.at(-1)?.msg).toBe('embedded PostgreSQL stopped');
    }
    // What a joiner's sessions make postgres say when the owner stops is not a warning either.
    const owner = await stack.startService({ ROLE: 'worker' });
    const joiner = await stack.startService({ ROLE: 'worker' });
    await sleep(1_000);
    expect(await owner.stop()).toBe(0);
    expect(loud(owner)).toEqual([]);
    await joiner.stop();
  }, 180_000);

  it('a Ctrl-C during the first start (initdb) leaves a cluster that the next start opens', async () => {
    stack = await startStack({ topology: 'embedded' });
    const fresh = await mkdtemp(path.join(tmpdir(), 'chutes-bot-first-'));
    await chmod(fresh, 0o755); // as root, the user postgres passes through
    try {
      const env = { ...stack.env, DATA_DIR: fresh };
      const first = await ServiceProcess.spawn(env, undefined, { detached: true });
      await first.waitForLog((l) => l.msg === 'initialising the embedded PostgreSQL (first start)');
      first.signalGroup('SIGINT');
      expect(await first.whenExited()).toBe(0);
      expect(first.errors()).toEqual([]);

      const next = await ServiceProcess.start(env);
      try {
        // initdb runs in a session of its own: the Ctrl-C does not reach it.
        // Whether it finished, the stopping service removed its unfinished
        // cluster, or the next start does (saying so), the next start opens a
        // working cluster.
        expect(await health(next)).toBe(200);
        expect(await next.stop()).toBe(0);
      } finally {
        await next.kill();
      }
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 120_000);

  it('a first start killed during initdb (SIGKILL to its group) is redone by the next start', async () => {
    stack = await startStack({ topology: 'embedded' });
    const fresh = await mkdtemp(path.join(tmpdir(), 'chutes-bot-first-'));
    await chmod(fresh, 0o755);
    try {
      const env = { ...stack.env, DATA_DIR: fresh };
      const first = await ServiceProcess.spawn(env, undefined, { detached: true });
      await first.waitForLog((l) => l.msg === 'initialising the embedded PostgreSQL (first start)');
      await sleep(300); // initdb under way
      first.signalGroup('SIGKILL');
      await first.whenExited();

      const next = await ServiceProcess.start(env);
      try {
        expect(next.logs.map((l) => l.msg)).toContain(
          'removing a PostgreSQL cluster whose initialisation an earlier start did not finish',
        );
        expect(await health(next)).toBe(200);
        expect(await next.stop()).toBe(0);
        expect(next.errors()).toEqual([]);
      } finally {
        await next.kill();
      }
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 120_000);
});
