import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxJournal } from '../../src/queue/outbox-journal.js';

const log = { warn: () => undefined, info: () => undefined };
/** A pid no process has (above Linux's pid_max). */
const GONE = 4_194_999;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'outbox-journal-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const journal = (pid: number, host = 'host-a', queue = 'redis q1') =>
  new OutboxJournal<{ n: number }>(root, queue, log, pid, host);
const files = async () => {
  const [scope] = await readdir(root);
  return scope ? readdir(path.join(root, scope)) : [];
};

describe('OutboxJournal', () => {
  it("hands a dead gateway's jobs, in order, to the next one, and only once", async () => {
    const dead = journal(GONE);
    dead.append({ n: 1 });
    dead.append({ n: 2 });
    const next = journal(process.pid);
    expect(next.claimOrphans()).toEqual([{ n: 1 }, { n: 2 }]);
    // Taken over: on disk as the new process's, and nobody else's to take.
    expect(await files()).toEqual([`host-a~${process.pid}.jsonl`]);
    expect(journal(process.pid + 1).claimOrphans()).toEqual([]);
    next.rewrite([]);
    expect(await files()).toEqual([]);
  });

  it('leaves a live gateway its jobs, and another queue its own', () => {
    journal(process.ppid).append({ n: 1 });
    journal(GONE, 'host-a', 'redis another-queue').append({ n: 2 });
    expect(journal(process.pid).claimOrphans()).toEqual([]);
  });

  it('takes what a restarted container left under its own pid, and a line cut short is skipped', async () => {
    const before = journal(process.pid);
    before.append({ n: 1 });
    const [name] = await files();
    const [scope] = await readdir(root);
    await writeFile(path.join(root, scope!, name!), '{"n":1}\n{"n":', { flag: 'w' });
    expect(journal(process.pid).claimOrphans()).toEqual([{ n: 1 }]);
  });

  it("takes another host's file only once it has not been written for a minute", async () => {
    journal(process.pid, 'host-b').append({ n: 7 });
    expect(journal(process.pid, 'host-a').claimOrphans()).toEqual([]);
    const [scope] = await readdir(root);
    const old = new Date(Date.now() - 120_000);
    await utimes(path.join(root, scope!, `host-b~${process.pid}.jsonl`), old, old);
    expect(journal(process.pid, 'host-a').claimOrphans()).toEqual([{ n: 7 }]);
  });
});
