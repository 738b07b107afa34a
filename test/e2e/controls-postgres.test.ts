/**
 * Stop in the Postgres-only topology (no Redis): the press goes through
 * BullMQ's PostgreSQL queue, the request through Postgres, and the model's
 * stream still closes within a second, handled by a second worker process.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STOPPED } from '../../src/core/user-messages.js';
import { customIdsOf } from '../fakes/discord/components.js';
import { ANN, channel, PERMISSIONS, startStack, type Stack } from './stack.js';

const words = (count: number) => Array.from({ length: count }, (_, i) => `word${i} `);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    topology: 'postgres',
    chutes: { defaultChat: () => ({ chunks: words(600), chunkDelayMs: 40 }) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('stops an answer within a second without Redis, with presses on any worker', async () => {
  // A second process that only works: the press may land on either.
  await stack.startService({ ROLE: 'worker', PORT: '0' });
  stack.discord.sendMessage({
    channelId: channel(1),
    author: ANN,
    content: 'go',
    mentionsBot: true,
  });
  const reply = await stack.discord.waitFor(
    () =>
      stack
        .botMessages(channel(1))
        .find((m) => m.content.includes('word3 ') && customIdsOf(m.components).length > 0),
    30_000,
    'a streaming answer with its Stop button',
  );
  const request = stack.chutes.requests.find((r) => r.path.endsWith('/chat/completions'))!;
  const pressedAt = Date.now();
  const press = stack.discord.pressButton({
    messageId: reply.id,
    customId: customIdsOf(reply.components)[0]!,
    user: ANN,
    permissions: PERMISSIONS.member,
  });
  expect(await press.callback).toMatchObject({ acknowledged: true, type: 6 });
  const closedAt = await stack.discord.waitFor(() => request.disconnectedAt, 10_000);
  expect(closedAt - pressedAt).toBeLessThan(1_000);
  await stack.discord.waitFor(() => stack.discord.message(reply.id)?.content.endsWith(STOPPED));
  for (const service of stack.runningServices()) expect(service.errors()).toEqual([]);
}, 90_000);
