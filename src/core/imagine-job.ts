/**
 * Handles /imagine end to end: the tenant's image model, generation on
 * Chutes, the image uploaded as a file in the acknowledged answer, and a
 * usage row. Platform-neutral: the answer goes through an InteractionSurface.
 */
import type { ConversationStore, ImageModel, UsageRecord } from './ports.js';
import { recordUsageBestEffort } from './chat-job.js';
import { withActor } from './commands/actor.js';
import { checkOptions, type OptionSpec } from './commands/options.js';
import { classifyFailure, toJobError } from './job-error.js';
import { settingsChannel, type CommandJob, type JobContext } from './jobs.js';
import { NO_BALANCE, type PaymentNotices } from './payment-notice.js';
import type { Quotas } from './quota.js';
import type { SettingsSource } from './settings/index.js';
import type { InteractionSurface } from './surface.js';
import { imageFailureText, imageTooLargeText, optionErrorsText } from './user-messages.js';

/** The sizes users choose from: square, landscape, portrait. */
export const IMAGE_SIZES = ['1024x1024', '1024x768', '768x1024', '512x512'] as const;
export const DEFAULT_IMAGE_SIZE = '1024x1024';
export const MAX_PROMPT_CHARS = 1_000;

/**
 * /imagine's options, offered by its definition (commands/imagine.ts) and
 * checked here: the worker hands this handler the job as queued.
 */
export const IMAGINE_OPTIONS = [
  {
    name: 'prompt',
    type: 'string',
    description: 'What to draw',
    required: true,
    maxLength: MAX_PROMPT_CHARS,
    rest: true,
  },
  {
    name: 'size',
    type: 'choice',
    description: `Width x height in pixels (default ${DEFAULT_IMAGE_SIZE})`,
    choices: IMAGE_SIZES,
    hint: '1024x768',
    // Typed by hand: `1024X768`, `1024×768`, `1024 x 768`.
    fromText: (typed: string) => typed.replace(/\s+/g, '').replace(/[X×]/g, 'x'),
  },
  {
    name: 'seed',
    type: 'integer',
    description: 'Same seed and prompt give the same image',
    min: 0,
    max: 4_294_967_295,
    hint: '7',
  },
  {
    name: 'negative_prompt',
    type: 'string',
    description: 'What the image should not contain',
    maxLength: MAX_PROMPT_CHARS,
    flag: 'no',
    aliases: ['negative', 'negative-prompt'],
    hint: '<what to avoid>',
  },
] as const satisfies readonly OptionSpec[];

export interface ImagineDeps {
  readonly interactions: (platform: string, tenantId: string) => InteractionSurface;
  readonly images: ImageModel;
  readonly settings: SettingsSource;
  readonly usage: Pick<ConversationStore, 'recordUsage'>;
  /** Daily quotas; unset: none are checked. */
  readonly quotas?: Pick<Quotas, 'refusal'>;
  /** Where a used-up Chutes balance is logged, once per tenant per period; unset: not logged. */
  readonly payments?: Pick<PaymentNotices, 'note'>;
  readonly log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  readonly now?: () => number;
}

export interface ImagineOptions {
  readonly prompt: string;
  readonly width: number;
  readonly height: number;
  readonly negativePrompt?: string;
  readonly seed?: number;
}

/** Checks the command's options; the sentence for the person when they are not usable. */
export function parseImagineOptions(
  options: CommandJob['options'],
): { ok: true; value: ImagineOptions } | { ok: false; message: string } {
  const checked = checkOptions(IMAGINE_OPTIONS, options);
  if (!checked.ok) return { ok: false, message: optionErrorsText(checked.errors) };
  const { prompt, size = DEFAULT_IMAGE_SIZE, seed, negative_prompt: negative } = checked.values;
  const [width, height] = size.split('x').map(Number) as [number, number];
  return {
    ok: true,
    value: { prompt, width, height, seed, ...(negative ? { negativePrompt: negative } : {}) },
  };
}

export async function handleImagineJob(
  job: CommandJob,
  ctx: JobContext,
  deps: ImagineDeps,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const surface = deps.interactions(job.platform, job.tenantId);
  const parsed = parseImagineOptions(job.options);
  if (!parsed.ok) {
    await surface.respond(job.interaction, { text: parsed.message });
    return;
  }
  const options = parsed.value;
  const started = now();
  // Only the name, for /usage: an image needs no admin right.
  const actor = await withActor(job, surface).then(
    (named) => named.actor,
    () => job.actor,
  );
  // The model is known once the settings are read.
  let usage: Omit<UsageRecord, 'durationMs' | 'outcome'> = {
    jobId: ctx.jobId,
    kind: 'image',
    platform: job.platform,
    tenantId: job.tenantId,
    userId: actor.id,
    userName: actor.name,
    model: '',
  };
  // Once the image (or the too-large notice) is posted, nothing may fail the
  // job: a retry would pay for the image and post it again. Usage is recorded
  // on a best-effort basis from there.
  const record = (outcome: UsageRecord['outcome']) =>
    recordUsageBestEffort(deps.usage, { ...usage, durationMs: now() - started, outcome }, deps.log);
  try {
    const settings = await deps.settings.get(job.platform, job.tenantId, settingsChannel(job));
    const model = settings.imageModel;
    usage = { ...usage, model };
    const refused = await deps.quotas?.refusal(
      'image',
      job.platform,
      job.tenantId,
      settings,
      job.actor.id,
    );
    if (refused !== undefined) return await surface.respond(job.interaction, { text: refused });
    const image = await deps.images.generateImage({ model, ...options }, ctx.signal);
    // A worker that lost the job posts nothing: the one that took over does.
    ctx.signal?.throwIfAborted();
    const limit = Math.min(
      surface.limits.maxUploadBytes,
      job.uploadLimitBytes ?? Number.POSITIVE_INFINITY,
    );
    if (image.bytes.length > limit) {
      await surface.respond(job.interaction, {
        text: imageTooLargeText(image.bytes.length, limit),
      });
      await record('too_large');
      return;
    }
    await surface.respond(job.interaction, {
      text: imageCaption(options, model),
      file: {
        name: `imagine-${ctx.jobId}.${image.extension}`,
        bytes: image.bytes,
        mime: image.mime,
      },
    });
    await record('ok');
    deps.log.info(
      { jobId: ctx.jobId, model, bytes: image.bytes.length, ms: now() - started },
      'image posted',
    );
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    const failure = classifyFailure(error, ctx);
    if (failure.code === NO_BALANCE) deps.payments?.note(job.platform, job.tenantId, usage.model);
    if (failure.final) {
      try {
        await surface.respond(job.interaction, { text: imageFailureText(error, usage.model) });
      } catch (respondError) {
        deps.log.warn(
          { err: respondError, jobId: ctx.jobId },
          'could not show the failure to the user',
        );
      }
      await recordUsageBestEffort(
        deps.usage,
        { ...usage, durationMs: now() - started, outcome: failure.code },
        deps.log,
      );
    }
    throw toJobError(error, failure);
  }
}

/** The message that carries the image: the prompt and the model that drew it. */
export function imageCaption(options: ImagineOptions, model: string): string {
  const seed = options.seed === undefined ? '' : ` · seed ${options.seed}`;
  const negative = options.negativePrompt ? `\nwithout: ${options.negativePrompt}` : '';
  return `🎨 **${options.prompt}**${negative}\n${model} · ${options.width}×${options.height}${seed}`;
}
