/**
 * The `Metrics` port (core/metrics.ts) on prom-client, served as Prometheus
 * text on `GET /metrics`. Each service has a registry of its own (not
 * prom-client's global one): every process serves its own figures, and
 * several services started in one process (tests) do not collide.
 *
 * @see https://github.com/siimon/prom-client
 */
import type { RequestListener } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { outcomeLabel, type Metrics } from './core/metrics.js';
import { NO_BALANCE } from './core/payment-notice.js';

export const METRICS_PATH = '/metrics';

export interface PromMetrics {
  readonly metrics: Metrics;
  readonly registry: Registry;
  /** Serves the registry on `GET /metrics`. */
  readonly handler: RequestListener;
}

const PREFIX = 'chutes_bot_';
const seconds = (ms: number) => ms / 1000;
const modelLabel = (model: string) => model || 'unknown';

export function createPromMetrics(): PromMetrics {
  const registry = new Registry();
  // Process metrics under their usual names (process_*, nodejs_*), as dashboards expect them.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const events = new Counter({
    name: `${PREFIX}events_total`,
    help: 'Platform events that became jobs, by platform and kind (chat, or the command)',
    labelNames: ['platform', 'kind'],
    registers,
  });
  const feedback = new Counter({
    name: `${PREFIX}feedback_total`,
    help: 'Votes on answers (new or changed), by platform and value: up or down',
    labelNames: ['platform', 'value'],
    registers,
  });
  const answers = new Counter({
    name: `${PREFIX}answers_total`,
    help: 'Chat answers by outcome: ok, too_long, stopped, refused (a quota) or error',
    labelNames: ['platform', 'outcome'],
    registers,
  });
  const firstToken = new Histogram({
    name: `${PREFIX}time_to_first_token_seconds`,
    help: "From a chat job's start to the model's first token",
    labelNames: ['model'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60],
    registers,
  });
  const duration = new Histogram({
    name: `${PREFIX}answer_duration_seconds`,
    help: "From a chat job's start to its answer stored (or its failure)",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const queueWait = new Histogram({
    name: `${PREFIX}queue_wait_seconds`,
    help: 'From enqueueing to the first time a worker took the job',
    labelNames: ['queue'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  });
  const tokens = new Counter({
    name: `${PREFIX}tokens_total`,
    help: "Tokens by model and type (prompt, completion): the stream's usage, or an estimate where it sent none",
    labelNames: ['model', 'type'],
    registers,
  });
  const images = new Counter({
    name: `${PREFIX}images_total`,
    help: '/imagine by outcome: ok, too_large, refused (a quota) or error',
    labelNames: ['outcome'],
    registers,
  });
  const platformRequests = new Counter({
    name: `${PREFIX}platform_requests_total`,
    help: 'Platform API responses by platform and HTTP status (429: rate limited)',
    labelNames: ['platform', 'status'],
    registers,
  });
  const chutesErrors = new Counter({
    name: `${PREFIX}chutes_errors_total`,
    help: 'Failed Chutes calls by HTTP status (or error code when there was no answer)',
    labelNames: ['status'],
    registers,
  });
  const retried = new Counter({
    name: `${PREFIX}jobs_retried_total`,
    help: 'Job attempts that failed and will be tried again',
    registers,
  });
  const failed = new Counter({
    name: `${PREFIX}jobs_failed_total`,
    help: 'Jobs that failed for good (kept in the failed set)',
    registers,
  });
  const paymentRequired = new Counter({
    name: `${PREFIX}chutes_payment_required_total`,
    help: 'Answers and images Chutes refused because the account has no balance or quota left (HTTP 402)',
    labelNames: ['platform', 'kind'],
    registers,
  });
  const streams = new Gauge({
    name: `${PREFIX}active_streams`,
    help: 'Model streams open in this process',
    registers,
  });
  const shards = new Gauge({
    name: `${PREFIX}gateway_shards`,
    help: "Gateway shards (Discord's) this process holds",
    labelNames: ['platform'],
    registers,
  });

  const metrics: Metrics = {
    event: (platform, kind) => events.inc({ platform, kind }),
    usage(record) {
      if (record.outcome === NO_BALANCE)
        paymentRequired.inc({ platform: record.platform, kind: record.kind });
      const outcome = outcomeLabel(record.kind, record.outcome);
      if (record.kind === 'image') {
        images.inc({ outcome });
        return;
      }
      answers.inc({ platform: record.platform, outcome });
      duration.observe(seconds(record.durationMs));
      const model = modelLabel(record.model);
      if (record.timeToFirstTokenMs !== undefined)
        firstToken.observe({ model }, seconds(record.timeToFirstTokenMs));
      if (record.promptTokens) tokens.inc({ model, type: 'prompt' }, record.promptTokens);
      if (record.completionTokens)
        tokens.inc({ model, type: 'completion' }, record.completionTokens);
    },
    refused(platform, kind) {
      if (kind === 'image') images.inc({ outcome: 'refused' });
      else answers.inc({ platform, outcome: 'refused' });
    },
    queueWait: (queue, ms) => queueWait.observe({ queue }, seconds(Math.max(0, ms))),
    platformRequest: (platform, status) => platformRequests.inc({ platform, status }),
    chutesError: (status) => chutesErrors.inc({ status }),
    jobRetried: () => retried.inc(),
    jobFailed: () => failed.inc(),
    activeStreams: (delta) => streams.inc(delta),
    feedback: (platform, value) => feedback.inc({ platform, value }),
    gatewayShards: (platform, count) => shards.set({ platform }, count),
  };

  const handler: RequestListener = (req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  };
  return { metrics, registry, handler };
}
