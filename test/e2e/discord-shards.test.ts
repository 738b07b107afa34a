/**
 * Discord's shards over two gateway processes: they split the shards the
 * fake recommends, and when one is killed the other resumes its sessions
 * (Discord replays what was sent meanwhile) and answers each mention sent
 * in between exactly once.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manyGuilds } from '../fakes/discord/index.js';
import type { ServiceProcess } from './service-process.js';
import { ANN, startStack, type Stack } from './stack.js';

const SHARDS = 4;
const guilds = manyGuilds(SHARDS * 2, { namePrefix: 'sharded' });

/** A port nobody listens on now (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The shards a process holds, from its one log line per acquire and release. */
function held(service: ServiceProcess): number[] {
  const shards = new Set<number>();
  for (const line of service.logs) {
    if (line.msg === 'Discord shard acquired') shards.add(line.shard as number);
    if (line.msg === 'Discord shard released') shards.delete(line.shard as number);
  }
  return [...shards].sort((a, b) => a - b);
}

/**
 * On Redis with the service's own lease timings (the stack shortens them): a
 * dead gateway's shards move within 15 s. Postgres alone passes too
 * (`{ topology: 'postgres', leaseMs: '2000' }`, about 12 s more); it is left
 * out to keep the suite's time, its store being contract-tested on its own.
 */
describe.each([{ topology: 'redis' as const, leaseMs: '10000' }])(
  'Discord shards over gateway processes ($topology)',
  ({ topology, leaseMs }) => {
    let stack: Stack;
    let first: ServiceProcess;
    let second: ServiceProcess;
    beforeAll(async () => {
      stack = await startStack({
        topology,
        discord: { guilds, recommendedShards: SHARDS, maxConcurrency: SHARDS },
        env: { ROLE: 'gateway', SHARD_LEASE_MS: leaseMs },
      });
      first = stack.service;
      await stack.startService({ ROLE: 'worker' });
      await stack.discord.waitFor(
        () => held(first).length === SHARDS && stack.discord.connectedShards().length === SHARDS,
        20_000,
        'the first gateway holding every shard',
      );
      second = await stack.startService({ ROLE: 'gateway' });
    }, 60_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it('splits the shards, and resumes a killed gateway’s sessions elsewhere, answering once', async () => {
      // Two gateways: two shards each, every shard connected once.
      await stack.discord.waitFor(
        () => held(first).length === 2 && held(second).length === 2,
        15_000,
        'the shards split between the gateways',
      );
      await stack.discord.waitFor(
        () => stack.discord.connectedShards().join() === '0,1,2,3',
        5_000,
        'each shard connected once',
      );
      expect([...held(first), ...held(second)].sort()).toEqual([0, 1, 2, 3]);
      // The shards handed over were resumed, not identified again.
      const stats = { ...stack.discord.gatewayStats };
      expect(stats.identifies).toBe(SHARDS);
      expect(stats.resumes).toBe(2);

      const orphaned = held(second);
      await second.kill();
      const killedAt = Date.now();
      // Mentions in a server of each shard, the killed gateway's among them.
      const asked = guilds.map((guild, i) => ({
        channelId: guild.channels[0]!.id,
        text: `question ${i}`,
      }));
      for (const { channelId, text } of asked)
        stack.discord.sendMessage({ channelId, author: ANN, content: text, mentionsBot: true });

      const resumedHere = () => [
        ...new Set(
          first.logs
            .filter((line) => line.msg === 'Discord shard resumed its session')
            .map((line) => line.shard as number)
            .filter((shard) => orphaned.includes(shard)),
        ),
      ];
      const resumed = await stack.discord.waitFor(
        () => (resumedHere().length >= orphaned.length ? resumedHere() : undefined),
        15_000,
        'the surviving gateway resuming the killed one’s sessions',
      );
      expect(held(first)).toEqual([0, 1, 2, 3]);
      const metrics = await (await fetch(`http://127.0.0.1:${first.port}/metrics`)).text();
      expect(metrics).toContain('chutes_bot_gateway_shards{platform="discord"} 4');
      expect(resumed.sort()).toEqual(orphaned);
      expect(Date.now() - killedAt).toBeLessThan(15_000);
      expect(stack.discord.gatewayStats.identifies).toBe(stats.identifies);
      expect(stack.discord.gatewayStats.resumes).toBe(stats.resumes + orphaned.length);

      for (const { channelId, text } of asked)
        await stack.discord.waitFor(
          () => stack.botMessages(channelId)[0]?.content === `You said: Ann: ${text}`,
          15_000,
          `the answer to ${text}`,
        );
      // Replays are not answered twice.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const { channelId } of asked) expect(stack.botMessages(channelId)).toHaveLength(1);
    });

    it('gives a gateway restarted on its own host and port its shards back before their leases lapse', async () => {
      // A gateway on a fixed port (its owner id is host:port) takes half of the
      // shards; its leases outlive it 20 s, so a restart that waited for them would show.
      const port = String(await freePort());
      const place = { ROLE: 'gateway', PORT: port, SHARD_LEASE_MS: '20000' };
      const placed = await stack.startService(place);
      await stack.discord.waitFor(
        () => held(placed).length === 2 && stack.discord.connectedShards().length === SHARDS,
        15_000,
        'the placed gateway holding its share',
      );
      const mine = held(placed);
      await placed.kill();
      const killedAt = Date.now();
      const guild = guilds.find((g) => stack.discord.shardOf(g.id, SHARDS) === mine[0])!;
      const channelId = guild.channels[0]!.id;
      stack.discord.sendMessage({
        channelId,
        author: ANN,
        content: 'while away',
        mentionsBot: true,
      });
      // The same place again: its shards come back without waiting for the leases.
      const again = await stack.startService(place);
      await stack.discord.waitFor(
        () =>
          again.logs.filter((l) => l.msg === 'Discord shard resumed its session').length >=
          mine.length,
        15_000,
        'the restarted gateway resuming its own sessions',
      );
      expect(Date.now() - killedAt).toBeLessThan(15_000);
      expect(held(again)).toEqual(mine);
      await stack.discord.waitFor(
        () => stack.botMessages(channelId).some((m) => m.content === 'You said: Ann: while away'),
        15_000,
        'the answer to the mention sent while away',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        stack.botMessages(channelId).filter((m) => m.content === 'You said: Ann: while away'),
      ).toHaveLength(1);
    });
  },
);
