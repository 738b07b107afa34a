import { describe, expect, it } from 'vitest';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import { InOrder } from '../../src/core/in-order.js';
import type { ChatJob, CommandJob, EnqueueResult, JobSink } from '../../src/core/jobs.js';

const job = (conversationKey: string, messageId: string): ChatJob => ({
  v: 1,
  platform: 'discord',
  tenantId: 't',
  conversationKey: encodeConversationKey({ channelId: conversationKey }),
  channelId: conversationKey,
  messageId,
  author: { id: 'u', name: 'Ann' },
  text: messageId,
  receivedAt: new Date(0).toISOString(),
});

/** A sink whose first call in each conversation is the slowest. */
class SlowFirst implements JobSink {
  readonly queued: string[] = [];
  private calls = 0;
  async enqueueChat(job: ChatJob): Promise<EnqueueResult> {
    const delay = [60, 10, 1][this.calls++ % 3]!;
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (job.messageId === 'bad') throw new Error('refused');
    this.queued.push(job.messageId);
    return { jobId: job.messageId, duplicate: false };
  }
  async enqueueCommand(_job: CommandJob, id: string): Promise<EnqueueResult> {
    return { jobId: id, duplicate: false };
  }
}

describe('InOrder', () => {
  it("hands a conversation's questions on in arrival order, whatever each one's trips take", async () => {
    const sink = new SlowFirst();
    const inOrder = new InOrder(sink);
    await Promise.all(['q1', 'q2', 'q3'].map((id) => inOrder.enqueueChat(job('c1', id))));
    expect(sink.queued).toEqual(['q1', 'q2', 'q3']);
    expect(inOrder.pending).toBe(0);
  });

  it('keeps going past a refused question, and lets other conversations through meanwhile', async () => {
    const sink = new SlowFirst();
    const inOrder = new InOrder(sink);
    const results = await Promise.allSettled([
      inOrder.enqueueChat(job('c1', 'bad')),
      inOrder.enqueueChat(job('c2', 'other')),
      inOrder.enqueueChat(job('c1', 'after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(sink.queued).toEqual(['other', 'after']);
  });

  it("keeps only each author's order in a shared channel: one person's slow trip holds no one else", async () => {
    const sink = new SlowFirst();
    const inOrder = new InOrder(sink);
    const asked = (messageId: string, author: string): ChatJob => ({
      ...job('shared', messageId),
      author: { id: author, name: author },
      shared: true,
    });
    await Promise.all([
      inOrder.enqueueChat(asked('ann-1', 'ann')),
      inOrder.enqueueChat(asked('bob-1', 'bob')),
      inOrder.enqueueChat(asked('ann-2', 'ann')),
    ]);
    // ann-1's trips were the slowest: Bob's question went past it, Ann's second did not.
    expect(sink.queued).toEqual(['bob-1', 'ann-1', 'ann-2']);
  });
});
