/**
 * The worker side of the queues, wired: chat jobs in per-conversation order
 * (turns.ts; per author in a shared conversation), command jobs as they come, each attempt run by the core
 * handlers and settled in BullMQ's vocabulary (attempts.ts), every running
 * job's lock watched (lock-watch.ts).
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  handleChatJob,
  markQueued,
  reportAbandonedChat,
  type ChatJobDeps,
} from '../core/chat-job.js';
import { handleCommandJob, reportAbandonedCommand } from '../core/command-job.js';
import { handleControlJob, type ControlDeps } from '../core/controls/control-job.js';
import type { CommandDeps } from '../core/commands/definition.js';
import type { ImagineDeps } from '../core/imagine-job.js';
import type { Metrics } from '../core/metrics.js';
import type { Logger } from '../log.js';
import { backoffDelay, handBack, jobContext, settle } from './attempts.js';
import type { JobWorker, QueueBackend } from './backend.js';
import { observeJobs, STALLED_OUT } from './job-metrics.js';
import {
  chatJobSchema,
  commandJobSchema,
  CONTROL_JOB,
  controlJobSchema,
  laneOf,
  ORDERED_COMMANDS,
  QUEUES,
  readProgress,
} from './jobs.js';
import { LockWatch } from './lock-watch.js';
import type { Turns } from './turns.js';

export interface WorkerOptions {
  readonly backend: QueueBackend;
  readonly log: Logger;
  readonly concurrency: number;
  /** How long a job stays locked to a worker that stopped renewing it (a crash). */
  readonly lockMs: number;
  readonly stalledIntervalMs: number;
  /** How many worker crashes one job survives before it fails for good. */
  readonly maxStalls: number;
  readonly metrics?: Metrics;
  /**
   * The queue store's outages: a worker error that says the store cannot be
   * reached is counted there (its first logged once), not logged each.
   */
  readonly outage?: { absorb(error: unknown, source?: string): boolean };
}

/** A job's log: every line carries its id, platform and tenant, gateway to final edit. */
function jobLog(log: Logger, job: Job, data: { platform: string; tenantId: string }): Logger {
  return log.child({ jobId: job.id, platform: data.platform, tenantId: data.tenantId });
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } },
  job: Job,
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`invalid ${job.name} job payload: ${parsed.error.message}`);
  return parsed.data;
}

type Processor = (
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<void>;

function createWorker(
  name: string,
  processor: Processor,
  options: WorkerOptions,
  onAbandoned: (job: Job) => Promise<void> | undefined,
): JobWorker {
  const locks = new LockWatch(name, options.lockMs, options.log);
  // Three parameters: BullMQ hands a processor that takes them an AbortSignal.
  const run = async (job: Job, token: string | undefined, signal: AbortSignal | undefined) => {
    locks.started(job.id!);
    try {
      await processor(job, token, signal);
    } catch (error) {
      await handBack(job, token, signal, error, options.log, name);
    } finally {
      locks.ended(job.id!);
    }
  };
  const worker = options.backend.worker(name, run, {
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalls,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        backoffDelay(attemptsMade, error),
    },
  });
  locks.watch(worker);
  worker.on('failed', (job, error) => {
    if (error instanceof DelayedError) return;
    options.log.warn(
      { queue: name, jobId: job?.id, err: error, attempts: job?.attemptsMade },
      'job attempt failed',
    );
    // BullMQ failed it without running it: the handler never got to tell the user.
    if (job && STALLED_OUT.test(error.message)) {
      void onAbandoned(job)?.catch((tellError: unknown) =>
        options.log.warn(
          { err: tellError, jobId: job.id },
          'could not tell the user about an abandoned job',
        ),
      );
    }
  });
  worker.on('error', (error) => {
    // The queue store is away: one line per outage, not one per failed command.
    if (options.outage?.absorb(error, `${name} worker`)) return;
    if (locks.explain(error)) return;
    options.log.error({ err: error, queue: name }, 'worker error');
  });
  if (options.metrics) observeJobs(worker, name, options.metrics);
  return worker;
}

export function startChatWorker(
  options: WorkerOptions & {
    readonly turns: Turns;
    readonly deps: ChatJobDeps;
  },
): JobWorker {
  return createWorker(
    QUEUES.chat,
    async (job, token, signal) => {
      const data = parse(chatJobSchema, job);
      await options.turns.run(
        job,
        token,
        signal,
        { conversationKey: data.conversationKey, lane: laneOf(data) },
        (release) =>
          handleChatJob(
            data,
            { ...jobContext(job, signal), answered: release },
            { ...options.deps, log: jobLog(options.log, job, data) },
          ),
        () => markQueued(data, options.deps, true),
      );
    },
    options,
    (job) => {
      const data = chatJobSchema.safeParse(job.data);
      const progress = readProgress(job.progress);
      return data.success
        ? reportAbandonedChat(data.data, progress.messages, options.deps, progress.target)
        : undefined;
    },
  );
}

export function startCommandWorker(
  options: WorkerOptions & {
    readonly turns: Turns;
    readonly imagine: ImagineDeps;
    readonly commands: CommandDeps;
    /** Button presses on answers; unset: they are refused as invalid jobs. */
    readonly controls?: ControlDeps;
  },
): JobWorker {
  return createWorker(
    QUEUES.commands,
    async (job, token, signal) => {
      if (job.name === CONTROL_JOB && options.controls) {
        const press = parse(controlJobSchema, job);
        const controls = options.controls;
        const log = jobLog(options.log, job, press);
        await settle(job, token, signal, () => handleControlJob(press, { ...controls, log }));
        return;
      }
      const data = parse(commandJobSchema, job);
      const log = jobLog(options.log, job, data);
      // Every command runs through its definition (core/commands/).
      const handle = () =>
        handleCommandJob(data, jobContext(job, signal), {
          ...options.commands,
          imagine: { ...options.imagine, log },
          log,
        });
      if (ORDERED_COMMANDS.has(data.command))
        await options.turns.run(
          job,
          token,
          signal,
          { conversationKey: data.conversationKey },
          handle,
        );
      else await settle(job, token, signal, handle);
    },
    options,
    (job) => {
      const data = commandJobSchema.safeParse(job.data);
      return data.success ? reportAbandonedCommand(data.data, options.commands) : undefined;
    },
  );
}
