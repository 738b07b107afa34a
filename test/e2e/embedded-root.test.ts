/**
 * Zero set-up as root in a directory only root can enter (/root/chutes-bot
 * on a fresh container or VPS): the embedded Postgres runs as the user
 * `postgres`, which can reach neither the data nor the binaries there. The
 * service runs from a copy of this clone (node_modules hard-linked) inside a
 * 0700 directory, with DATA_DIR inside it too, and must come up and answer.
 * The cluster it makes under /var/lib/chutes-bot is removed afterwards; the
 * binaries' copy (/var/lib/chutes-bot/postgres-<version>) is a cache shared
 * with every other root install on the machine and stays.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, startStack, type Stack } from './stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('as root in a private directory', () => {
  let closed: string;
  let stack: Stack | undefined;
  let clusterDir: string | undefined;

  beforeAll(async () => {
    closed = await mkdtemp(path.join(tmpdir(), 'chutes-root-')); // 0700
    const app = path.join(closed, 'chutes-bot');
    // Hard links: a copy in no time, reachable only through this private path.
    await mkdir(app);
    await promisify(execFile)('cp', ['-al', path.join(ROOT, 'node_modules'), app]);
    for (const part of ['dist', 'drizzle', 'package.json'])
      await cp(path.join(ROOT, part), path.join(app, part), { recursive: true });
    stack = await startStack({
      topology: 'embedded',
      env: { DATA_DIR: path.join(app, 'data') },
      spawn: { main: path.join(app, 'dist', 'main.js') },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(closed, { recursive: true, force: true });
    if (clusterDir) {
      await rm(path.dirname(clusterDir), { recursive: true, force: true });
      await rmdir('/var/lib/chutes-bot').catch(() => undefined);
    }
  });

  it('starts, says where the data lives, answers, and stops cleanly', async () => {
    const service = stack!.service;
    const dataDir = path.join(closed, 'chutes-bot', 'data');
    const state = JSON.parse(
      await readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8'),
    ) as { clusterDir?: string };
    clusterDir = state.clusterDir;
    expect(clusterDir).toMatch(/^\/var\/lib\/chutes-bot\/[0-9a-f]{12}\/postgres$/);
    const where = service.logs.find((l) =>
      l.msg.startsWith('the embedded PostgreSQL keeps its data in'),
    );
    expect(where?.msg).toContain(`${clusterDir}, because the user "postgres"`);
    expect(where?.level).toBe(30);
    const health = await fetch(`http://127.0.0.1:${service.port}/healthz`);
    expect(health.status).toBe(200);

    stack!.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'hello?',
      mentionsBot: true,
    });
    await stack!.discord.waitFor(
      () => stack!.botMessages(channel(1)).find((m) => m.content.startsWith('You said')),
      20_000,
      'an answer',
    );
    expect(await service.stop()).toBe(0);
    expect(service.errors()).toEqual([]);
  }, 60_000);
});
