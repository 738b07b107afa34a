import { describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import type { ConversationStore, UsageRecord } from '../../src/core/ports.js';
import {
  observeChatModel,
  observeEvents,
  observeImageModel,
  observeStore,
  outcomeLabel,
} from '../../src/core/metrics.js';
import type { ChatJob, CommandJob } from '../../src/core/jobs.js';
import { createPromMetrics } from '../../src/metrics.js';

const record: UsageRecord = {
  jobId: 'j1',
  kind: 'chat',
  platform: 'discord',
  tenantId: 'g1',
  userId: 'u1',
  model: 'model-a',
  promptTokens: 12,
  completionTokens: 5,
  timeToFirstTokenMs: 300,
  durationMs: 1_500,
  outcome: 'ok',
};

/** One sample's value from the registry's text output (0 when absent). */
async function sample(prom: ReturnType<typeof createPromMetrics>, line: string): Promise<number> {
  const text = await prom.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe('prom-client metrics', () => {
  it('counts a usage row as an answer, its tokens, first token and duration', async () => {
    const prom = createPromMetrics();
    prom.metrics.usage(record);
    prom.metrics.usage({ ...record, jobId: 'j2', outcome: 'overloaded', promptTokens: 3 });
    expect(await sample(prom, 'chutes_bot_answers_total{platform="discord",outcome="ok"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_answers_total{platform="discord",outcome="error"}')).toBe(
      1,
    );
    expect(await sample(prom, 'chutes_bot_tokens_total{model="model-a",type="prompt"}')).toBe(15);
    expect(await sample(prom, 'chutes_bot_tokens_total{model="model-a",type="completion"}')).toBe(
      10,
    );
    expect(
      await sample(prom, 'chutes_bot_time_to_first_token_seconds_bucket{le="0.5",model="model-a"}'),
    ).toBe(2);
    expect(await sample(prom, 'chutes_bot_answer_duration_seconds_sum')).toBe(3);
  });

  it('counts images and refusals apart from answers', async () => {
    const prom = createPromMetrics();
    prom.metrics.usage({ ...record, kind: 'image', model: 'img' });
    prom.metrics.usage({ ...record, kind: 'image', outcome: 'too_large' });
    prom.metrics.refused('slack', 'image');
    prom.metrics.refused('slack', 'chat');
    expect(await sample(prom, 'chutes_bot_images_total{outcome="ok"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_images_total{outcome="too_large"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_images_total{outcome="refused"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_answers_total{platform="slack",outcome="refused"}')).toBe(
      1,
    );
    expect(await sample(prom, 'chutes_bot_tokens_total{model="img",type="prompt"}')).toBe(0);
  });

  it('keeps registries apart: two services in one process do not share counts', async () => {
    const a = createPromMetrics();
    const b = createPromMetrics();
    a.metrics.jobFailed();
    a.metrics.platformRequest('discord', 429);
    expect(await sample(a, 'chutes_bot_jobs_failed_total')).toBe(1);
    expect(await sample(b, 'chutes_bot_jobs_failed_total')).toBe(0);
    expect(
      await sample(a, 'chutes_bot_platform_requests_total{platform="discord",status="429"}'),
    ).toBe(1);
    // Default process metrics are there, under their usual names.
    expect(await b.registry.metrics()).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('maps outcomes onto a small label set', () => {
    expect(outcomeLabel('chat', 'stopped')).toBe('stopped');
    expect(outcomeLabel('chat', 'too_large')).toBe('error');
    expect(outcomeLabel('image', 'too_large')).toBe('too_large');
    expect(outcomeLabel('image', 'unauthorized')).toBe('error');
  });
});

describe('observing decorators', () => {
  it('counts open streams and Chutes errors by status', async () => {
    const prom = createPromMetrics();
    let openDuring = 0;
    const model = observeChatModel(
      {
        async *streamChat() {
          openDuring = await sample(prom, 'chutes_bot_active_streams');
          yield { type: 'delta' as const, content: 'hi' };
          throw new ChutesError('overloaded', 'busy', { status: 429 });
        },
      },
      prom.metrics,
    );
    const events: unknown[] = [];
    await expect(async () => {
      for await (const event of model.streamChat({ model: 'm', messages: [] })) events.push(event);
    }).rejects.toThrow('busy');
    expect(events).toHaveLength(1);
    expect(openDuring).toBe(1);
    expect(await sample(prom, 'chutes_bot_active_streams')).toBe(0);
    expect(await sample(prom, 'chutes_bot_chutes_errors_total{status="429"}')).toBe(1);

    const images = observeImageModel(
      {
        generateImage: () => Promise.reject(new ChutesError('network', 'unreachable')),
      },
      prom.metrics,
    );
    await expect(
      images.generateImage({ model: 'img', prompt: 'p', width: 512, height: 512 }),
    ).rejects.toThrow('unreachable');
    expect(await sample(prom, 'chutes_bot_chutes_errors_total{status="network"}')).toBe(1);
  });

  it('counts an exchange only once it is stored, and a usage row even when its write failed', async () => {
    const prom = createPromMetrics();
    let failSave = true;
    const store: ConversationStore = {
      history: async () => [],
      storedAnswer: async () => undefined,
      saveExchange: async (_job, _id, answer) => {
        if (failSave) throw new Error('db away');
        return answer;
      },
      recordUsage: async () => {
        throw new Error('db away');
      },
    };
    const observed = observeStore(store, prom.metrics);
    const job = {} as ChatJob;
    await expect(observed.saveExchange(job, 'j1', 'a', record)).rejects.toThrow('db away');
    expect(await sample(prom, 'chutes_bot_answers_total{platform="discord",outcome="ok"}')).toBe(0);
    failSave = false;
    await observed.saveExchange(job, 'j1', 'a', record);
    await expect(observed.recordUsage({ ...record, outcome: 'timeout' })).rejects.toThrow();
    expect(await sample(prom, 'chutes_bot_answers_total{platform="discord",outcome="ok"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_answers_total{platform="discord",outcome="error"}')).toBe(
      1,
    );
  });

  it('counts new events by kind, not redeliveries', async () => {
    const prom = createPromMetrics();
    let duplicate = false;
    const sink = observeEvents(
      {
        enqueueChat: async () => ({ jobId: 'x', duplicate }),
        enqueueCommand: async () => ({ jobId: 'y', duplicate }),
      },
      prom.metrics,
    );
    await sink.enqueueChat({ platform: 'slack' } as ChatJob);
    await sink.enqueueCommand({ platform: 'slack', command: 'imagine' } as CommandJob, 'i');
    duplicate = true;
    await sink.enqueueChat({ platform: 'slack' } as ChatJob);
    expect(await sample(prom, 'chutes_bot_events_total{platform="slack",kind="chat"}')).toBe(1);
    expect(await sample(prom, 'chutes_bot_events_total{platform="slack",kind="imagine"}')).toBe(1);
  });
});
