/**
 * The micro benchmarks (`npm run bench -- --micro`): splitting, the shared budget's
 * cost per take, and chat-queue throughput with in-memory fakes, on Redis and on Postgres. Needs the same
 * Postgres and Redis as the tests (TEST_DATABASE_ADMIN_URL, TEST_REDIS_URL); every
 * run uses its own database and key prefix and removes them.
 */
import { pino } from 'pino';
import { performance } from 'node:perf_hooks';
import { encodeConversationKey } from '../src/core/conversation-key.js';
import { splitMessage } from '../src/core/split.js';
import { jobIdFor, QUEUES } from '../src/queue/jobs.js';
import { JobProducer } from '../src/queue/producer.js';
import { Turns } from '../src/queue/turns.js';
import { startChatWorker } from '../src/queue/worker.js';
import { chatDeps } from '../test/support/chat-deps.js';
import { MemorySurface, unlimited } from '../test/support/memory-surface.js';
import { BACKEND_KINDS, openTestBackend, type BackendKind } from '../test/support/backends.js';
import { ScriptedModel } from '../test/support/scripted-model.js';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** What the micro benchmarks printed, for RESULTS.md. */
const lines: string[] = [];
function print(line: string): void {
  lines.push(line);
  console.log(line);
}

const fmt = (n: number) => n.toFixed(n < 10 ? 3 : 1);

function benchSplit(): void {
  const block = Array.from({ length: 40 }, (_, i) => `    value_${i} = compute(${i})  # 🧮`).join(
    '\n',
  );
  const text = Array.from(
    { length: 30 },
    (_, i) => `Paragraph ${i}: ${'words '.repeat(40)}\n\`\`\`python\n${block}\n\`\`\`\n`,
  ).join('\n');
  const runs = 200;
  const started = performance.now();
  let pages = 0;
  for (let i = 0; i < runs; i++) pages = splitMessage(text, 2000).length;
  const ms = (performance.now() - started) / runs;
  print(
    `split: ${(text.length / 1024).toFixed(0)} KiB answer into ${pages} pages: ${fmt(ms)} ms per split`,
  );
}

async function benchBudget(kind: BackendKind): Promise<void> {
  const t = await openTestBackend(kind);
  const budget = t.budget();
  const latencies: number[] = [];
  const n = kind === 'redis' ? 5_000 : 2_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await budget.tryTake([
      { key: `discord:edit:c${i % 500}`, spec: { points: 5, windowMs: 5_000 } },
      { key: 'discord:global', spec: { points: 1_000_000, windowMs: 1_000 } },
    ]);
    latencies.push(performance.now() - start);
  }
  const total = performance.now() - started;
  print(
    `budget: ${n} tryTake calls (2 buckets) on ${kind}: ${fmt((n / total) * 1000)}/s, p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
  );
  await t.close();
}

async function benchQueue(kind: BackendKind): Promise<void> {
  const t = await openTestBackend(kind);
  const { backend } = t;
  const log = pino({ level: 'silent' });
  const queue = backend.queue(QUEUES.chat);
  const order = backend.order;
  const surface = new MemorySurface(unlimited(2000));
  const model = new ScriptedModel();
  const deps = chatDeps({ db: t.db, budget: backend.budget, surface, model });

  const workers = [0, 1].map(() =>
    startChatWorker({
      backend,
      turns: new Turns(order, [queue], 30_000),
      deps,
      log,
      concurrency: 8,
      lockMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalls: 2,
    }),
  );
  const producer = new JobProducer({ chat: queue, commands: queue }, order, 3);
  const jobs = 400;
  const conversations = 80;
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const enqueuedAt = new Map<string, number>();
  const latencies: number[] = [];
  const done = new Promise<void>((resolve) => {
    for (const worker of workers) {
      worker.on('completed', (job) => {
        latencies.push(Date.now() - enqueuedAt.get(job.id!)!);
        if (latencies.length === jobs) resolve();
      });
    }
  });
  const started = performance.now();
  for (let i = 0; i < jobs; i++) {
    enqueuedAt.set(jobIdFor('memory', 'msg', `bench${i}`), Date.now());
    await producer.enqueueChat({
      v: 1,
      platform: 'memory',
      tenantId: 't',
      conversationKey: encodeConversationKey({ channelId: `conv-${i % conversations}` }),
      channelId: `conv-${i % conversations}`,
      messageId: `bench${i}`,
      author: { id: 'u', name: 'User' },
      text: `question ${i}`,
      receivedAt: new Date().toISOString(),
    });
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  print(
    `queue on ${kind}: ${jobs} chat jobs in ${conversations} conversations, 2 workers x 8: ${fmt(jobs / seconds)} jobs/s, ` +
      `enqueue→done p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, ` +
      `RSS +${((rssPeak - rssBefore) / 1024 / 1024).toFixed(0)} MiB`,
  );
  await Promise.all(workers.map((w) => w.close()));
  await queue.close();
  await t.close();
}

export async function runMicro(): Promise<string[]> {
  lines.length = 0;
  benchSplit();
  for (const kind of BACKEND_KINDS) {
    await benchBudget(kind);
    await benchQueue(kind);
  }
  return [...lines];
}
