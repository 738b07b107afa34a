import { describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import type { ImageRequest } from '../../src/chutes/image-client.js';
import type { UsageRecord } from '../../src/core/ports.js';
import {
  handleImagineJob,
  parseImagineOptions,
  type ImagineDeps,
} from '../../src/core/imagine-job.js';
import { JobError, OUTAGE_PATIENCE_MS } from '../../src/core/job-error.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { CommandJob, JobContext } from '../../src/core/jobs.js';
import { effectiveSettings } from '../../src/core/settings/index.js';
import {
  toInteractionRef,
  type InteractionSurface,
  type ReplyFile,
} from '../../src/core/surface.js';
import { TEST_LIMITS } from '../support/memory-surface.js';
import { connectionLost } from '../support/pg.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function setup(generate: (req: ImageRequest) => Promise<Buffer>) {
  const replies: { text: string; file?: ReplyFile }[] = [];
  const usage: UsageRecord[] = [];
  const requests: ImageRequest[] = [];
  const surface: InteractionSurface = {
    platform: 'memory',
    limits: { ...TEST_LIMITS, maxUploadBytes: 1_000 },
    adminsAre: 'admins',
    respond: async (_ref, reply) => void replies.push(reply),
  };
  const deps: ImagineDeps = {
    interactions: () => surface,
    images: {
      generateImage: async (req) => {
        requests.push(req);
        return { bytes: await generate(req), mime: 'image/png', extension: 'png' };
      },
    },
    settings: {
      get: async () =>
        effectiveSettings(
          { model: 'm', imageModel: 'img-x', temperature: 1, maxTokens: 1, systemPrompt: '' },
          undefined,
        ),
    },
    usage: { recordUsage: async (u) => void usage.push(u) },
    log: { warn: () => undefined, info: () => undefined },
  };
  return { deps, replies, usage, requests };
}

const job = (options: CommandJob['options'], uploadLimitBytes?: number): CommandJob => ({
  v: 1,
  platform: 'memory',
  tenantId: 't',
  channelId: 'c',
  conversationKey: encodeConversationKey({ channelId: 'c' }),
  interaction: toInteractionRef({ token: 'x' }),
  actor: { id: 'u', name: 'Ann', isAdmin: false },
  command: 'imagine',
  options,
  ...(uploadLimitBytes ? { uploadLimitBytes } : {}),
  receivedAt: new Date().toISOString(),
});

const ctx = (finalAttempt: boolean): JobContext => ({
  jobId: 'j1',
  finalAttempt,
  progress: [],
  saveProgress: async () => undefined,
});

describe('parseImagineOptions', () => {
  it('defaults to a square image and reads size, seed and negative prompt', () => {
    expect(parseImagineOptions({ prompt: ' a cat ' })).toEqual({
      ok: true,
      value: { prompt: 'a cat', width: 1024, height: 1024, seed: undefined },
    });
    expect(
      parseImagineOptions({ prompt: 'x', size: '768x1024', seed: 5, negative_prompt: 'dogs' }),
    ).toMatchObject({
      ok: true,
      value: { width: 768, height: 1024, seed: 5, negativePrompt: 'dogs' },
    });
  });

  it('refuses what Chutes would refuse, in the words every option gets', () => {
    const cases: [CommandJob['options'], string][] = [
      [{ prompt: '' }, '⚠️ prompt needs a value: text of 1 to 1000 characters.'],
      [{}, '⚠️ prompt needs a value: text of 1 to 1000 characters.'],
      [
        { prompt: 'x'.repeat(1001) },
        '⚠️ prompt is too long: it must be text of 1 to 1000 characters.',
      ],
      [
        { prompt: 'x', size: '4000x4000' },
        '⚠️ size must be one of 1024x1024, 1024x768, 768x1024, 512x512, not `4000x4000`.',
      ],
      [{ prompt: 'x', seed: -1 }, '⚠️ seed must be a whole number from 0 to 4294967295, not `-1`.'],
      [
        { prompt: 'x', seed: 1.5 },
        '⚠️ seed must be a whole number from 0 to 4294967295, not `1.5`.',
      ],
      // From Slack, as typed: the same words.
      [
        { prompt: 'x', seed: 'abc' },
        '⚠️ seed must be a whole number from 0 to 4294967295, not `abc`.',
      ],
      [
        { prompt: 'x', style: 'anime' },
        '⚠️ There is no option `style`; it takes one of prompt, size, seed, negative_prompt.',
      ],
    ];
    for (const [options, message] of cases) {
      expect(parseImagineOptions(options)).toEqual({ ok: false, message });
    }
  });
});

describe('handleImagineJob', () => {
  it("posts the image with a caption naming prompt and the tenant's image model", async () => {
    const { deps, replies, usage, requests } = setup(async () => PNG);
    await handleImagineJob(job({ prompt: 'a lighthouse' }), ctx(false), deps);
    expect(requests[0]).toMatchObject({ model: 'img-x', prompt: 'a lighthouse' });
    expect(replies[0]!.file!.bytes).toEqual(PNG);
    expect(replies[0]!.text).toContain('a lighthouse');
    expect(replies[0]!.text).toContain('img-x');
    expect(usage[0]).toMatchObject({ kind: 'image', outcome: 'ok', model: 'img-x' });
  });

  it('tells the user when the image exceeds the smaller of the platform and interaction limits', async () => {
    const { deps, replies, usage } = setup(async () => Buffer.concat([PNG, Buffer.alloc(600)]));
    await handleImagineJob(job({ prompt: 'big' }, 500), ctx(false), deps);
    expect(replies[0]!.file).toBeUndefined();
    expect(replies[0]!.text).toContain('more than');
    expect(usage[0]!.outcome).toBe('too_large');
  });

  it('leaves a transient failure to the retry, and tells the user after the last attempt', async () => {
    const overloaded = () => Promise.reject(new ChutesError('overloaded', 'busy', { status: 429 }));
    const first = setup(overloaded);
    const retry = await handleImagineJob(job({ prompt: 'x' }), ctx(false), first.deps).catch(
      (e: unknown) => e,
    );
    expect(retry).toBeInstanceOf(JobError);
    expect((retry as JobError).retryable).toBe(true);
    expect(first.replies).toEqual([]);

    const last = setup(overloaded);
    const final = await handleImagineJob(job({ prompt: 'x' }), ctx(true), last.deps).catch(
      (e: unknown) => e,
    );
    expect((final as JobError).retryable).toBe(false);
    expect(last.replies[0]!.text).toContain('overloaded');
    expect(last.usage[0]!.outcome).toBe('overloaded');
  });

  it('does not retry a refused prompt', async () => {
    const { deps, replies } = setup(() =>
      Promise.reject(new ChutesError('prompt_rejected', 'flagged', { status: 400 })),
    );
    const error = await handleImagineJob(job({ prompt: 'x' }), ctx(false), deps).catch(
      (e: unknown) => e,
    );
    expect((error as JobError).retryable).toBe(false);
    expect(replies[0]!.text).toContain('refused');
  });

  it('does not retry a used-up balance, and notes it for the admins', async () => {
    const { deps, replies, usage } = setup(() =>
      Promise.reject(new ChutesError('no_balance', 'pay up', { status: 402 })),
    );
    const noted: string[][] = [];
    const withPayments = {
      ...deps,
      payments: { note: (...args: string[]) => noted.push(args) > 0 },
    };
    const error = await handleImagineJob(job({ prompt: 'x' }), ctx(false), withPayments).catch(
      (e: unknown) => e,
    );
    expect((error as JobError).retryable).toBe(false);
    expect(replies).toHaveLength(1);
    expect(usage.map((u) => u.outcome)).toEqual(['no_balance']);
    expect(noted).toEqual([['memory', 't', 'img-x']]);
  });

  it('never generates or posts twice because the usage row could not be written', async () => {
    const { deps, replies, requests } = setup(async () => PNG);
    const failingUsage: ImagineDeps = {
      ...deps,
      usage: { recordUsage: connectionLost },
    };
    // Not the final attempt: a thrown error here would be retried, and paid for again.
    await expect(
      handleImagineJob(job({ prompt: 'a cat' }), ctx(false), failingUsage),
    ).resolves.toBe(undefined);
    expect(requests).toHaveLength(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.file?.bytes).toEqual(PNG);
  });

  it('waits out a database that went away, then tells the user on the last attempt', async () => {
    const { deps, replies, requests } = setup(async () => PNG);
    const noSettings: ImagineDeps = {
      ...deps,
      settings: { get: connectionLost },
    };
    // Within the outage patience, even the last attempt waits for the database.
    const waiting = await handleImagineJob(job({ prompt: 'a cat' }), ctx(true), noSettings).catch(
      (error: unknown) => error,
    );
    expect(waiting).toBeInstanceOf(JobError);
    expect((waiting as JobError).retryable).toBe(true);
    expect(replies).toHaveLength(0);

    const longAgo = { ...ctx(true), outageSince: Date.now() - OUTAGE_PATIENCE_MS - 1 };
    await expect(handleImagineJob(job({ prompt: 'a cat' }), longAgo, noSettings)).rejects.toThrow(
      JobError,
    );
    expect(requests).toHaveLength(0);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^⚠️/);
  });
});
