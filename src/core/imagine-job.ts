/**
 * Handles /imagine end to end: the tenant's image model, generation on
 * Chutes, the image uploaded as a file in the acknowledged answer, and a
 * usage row. Platform-neutral: the answer goes through an InteractionSurface.
 */
import type { GeneratedImage, ImageRequest } from '../chutes/image-client.js';
import type { ConversationStore, UsageRecord } from './chat-job.js';
import { recordUsageBestEffort } from './chat-job.js';
import { withActor } from './command-job.js';
import { classifyFailure, toJobError } from './job-error.js';
import type { CommandJob, JobContext } from './jobs.js';
import type { Quotas } from './quota.js';
import type { SettingsSource } from './settings.js';
import type { InteractionSurface } from './surface.js';
import { imageFailureText, imageTooLargeText, invalidImageOptionText } from './user-messages.js';

export interface ImageModel {
  generateImage(request: ImageRequest, signal?: AbortSignal): Promise<GeneratedImage>;
}

/** The sizes users choose from: square, landscape, portrait. */
export const IMAGE_SIZES = ['1024x1024', '1024x768', '768x1024', '512x512'] as const;
export const DEFAULT_IMAGE_SIZE = '1024x1024';
export const MAX_PROMPT_CHARS = 1_000;

export interface ImagineDeps {
  readonly interactions: (platform: string) => InteractionSurface;
  readonly images: ImageModel;
  readonly settings: SettingsSource;
  readonly usage: Pick<ConversationStore, 'recordUsage'>;
  /** Daily quotas; unset: none are checked. */
  readonly quotas?: Pick<Quotas, 'refusal'>;
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

/** Reads the command's options; a message for the user when they are not usable. */
export function parseImagineOptions(
  options: CommandJob['options'],
): { ok: true; value: ImagineOptions } | { ok: false; message: string } {
  const prompt = typeof options.prompt === 'string' ? options.prompt.trim() : '';
  if (prompt === '' || prompt.length > MAX_PROMPT_CHARS) {
    return {
      ok: false,
      message: invalidImageOptionText('prompt', `text of 1 to ${MAX_PROMPT_CHARS} characters`),
    };
  }
  const size = options.size === undefined ? DEFAULT_IMAGE_SIZE : String(options.size);
  if (!(IMAGE_SIZES as readonly string[]).includes(size)) {
    return {
      ok: false,
      message: invalidImageOptionText('size', `one of ${IMAGE_SIZES.join(', ')}`),
    };
  }
  const [width, height] = size.split('x').map(Number) as [number, number];
  const seed = options.seed === undefined ? undefined : Number(options.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 4_294_967_295)) {
    return {
      ok: false,
      message: invalidImageOptionText('seed', 'a whole number from 0 to 4294967295'),
    };
  }
  const negative =
    typeof options.negative_prompt === 'string' ? options.negative_prompt.trim() : '';
  if (negative.length > MAX_PROMPT_CHARS) {
    return {
      ok: false,
      message: invalidImageOptionText('negative_prompt', `at most ${MAX_PROMPT_CHARS} characters`),
    };
  }
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
  const surface = deps.interactions(job.platform);
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
    const settings = await deps.settings.get(job.platform, job.tenantId);
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
