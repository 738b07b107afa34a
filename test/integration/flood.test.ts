/**
 * The flood limits in front of the real queue, on both backends, as the
 * gateway uses them (FloodGuard → Outbox → JobProducer): a redelivered event
 * costs its author nothing and draws no refusal, even when it overtakes its
 * first delivery; a question refused by one limit spends no point of the
 * other; a first delivery never gets past the limits.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FloodError, FloodGuard, type FloodLimits } from '../../src/core/flood.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob } from '../../src/core/jobs.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { QUEUES } from '../../src/queue/jobs.js';
import { Outbox } from '../../src/queue/outbox.js';
import { JobProducer } from '../../src/queue/producer.js';
import {
  BACKEND_KINDS,
  openTestBackend,
  type BackendKind,
  type TestBackend,
} from '../support/backends.js';

const log = pino({ level: 'silent' });
let t: TestBackend | undefined;
let queues: JobQueue[] = [];
let outbox: Outbox | undefined;

afterEach(async () => {
  outbox?.close();
  await Promise.all(queues.map((q) => q.close()));
  queues = [];
  await t?.close();
  t = undefined;
});

async function setup(kind: BackendKind, limits: FloodLimits) {
  t = await openTestBackend(kind);
  const chat = t.backend.queue(QUEUES.chat);
  const commands = t.backend.queue(QUEUES.commands);
  queues = [chat, commands];
  outbox = new Outbox(new JobProducer({ chat, commands }, t.backend.order, 2), log);
  return { guard: new FloodGuard(outbox, t.backend.budget, limits, undefined, log), chat };
}

let counter = 0;
function question(author: string, channelId: string): ChatJob {
  counter++;
  return {
    v: 1,
    platform: 'memory',
    tenantId: 't1',
    conversationKey: encodeConversationKey({ channelId }),
    channelId,
    messageId: `${Date.now()}${counter}`,
    author: { id: author, name: author },
    text: `question ${counter}`,
    receivedAt: new Date().toISOString(),
  };
}

/** The scope of the flood refusal `attempt` ends with. */
async function refusedBy(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FloodError);
  return (error as FloodError).scope;
}

describe.each(BACKEND_KINDS)('flood limits on %s', (kind) => {
  it('counts an event delivered three times once, and still refuses past the limit', async () => {
    const { guard, chat } = await setup(kind, { perUser: 2, perChannel: 0 });
    const job = question(`ann-${counter}`, 'c1');
    const first = await guard.enqueueChat(job, 'event-1');
    expect(first.duplicate).toBe(false);
    // Slack's retries: the same event id, delivered again.
    for (const _retry of [1, 2])
      expect(await guard.enqueueChat(job, 'event-1')).toEqual({
        jobId: first.jobId,
        duplicate: true,
      });
    expect(await chat.getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 1 });
    // The person's second point is still there; the third question is refused.
    expect((await guard.enqueueChat(question(job.author.id, 'c1'))).duplicate).toBe(false);
    expect(await refusedBy(guard.enqueueChat(question(job.author.id, 'c1')))).toBe('user');
  });

  it('counts deliveries of one event that arrive together once', async () => {
    const { guard } = await setup(kind, { perUser: 2, perChannel: 0 });
    const job = question(`bob-${counter}`, 'c2');
    const results = await Promise.all([1, 2, 3].map(() => guard.enqueueChat(job, 'event-2')));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect((await guard.enqueueChat(question(job.author.id, 'c2'))).duplicate).toBe(false);
    expect(await refusedBy(guard.enqueueChat(question(job.author.id, 'c2')))).toBe('user');
  });

  it('a question the channel refuses costs its author no point, and each refusal names its limit', async () => {
    const { guard } = await setup(kind, { perUser: 2, perChannel: 1 });
    const [ann, bob] = [`ann-${counter}`, `bob-${counter}`];
    await guard.enqueueChat(question(ann, 'busy'));
    expect(await refusedBy(guard.enqueueChat(question(bob, 'busy')))).toBe('channel');
    // Bob's two points are both still there.
    await guard.enqueueChat(question(bob, 'quiet-1'));
    await guard.enqueueChat(question(bob, 'quiet-2'));
    // Past his own limit, his question is refused for him even where the channel is full too.
    expect(await refusedBy(guard.enqueueChat(question(bob, 'busy')))).toBe('user');
    expect(await refusedBy(guard.enqueueChat(question(bob, 'quiet-3')))).toBe('user');
  });
});
