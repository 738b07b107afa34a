/**
 * Queue names, job ids and payload schemas. Payloads are validated when
 * enqueued and again when a worker takes them, so a gateway and a worker of
 * different versions fail loudly instead of misreading each other.
 */
import { z } from 'zod';
import { COMMANDS, ORDERED_COMMANDS as ORDERED } from '../core/commands/index.js';
import type { ChatJob, CommandJob, ControlJob } from '../core/jobs.js';
import { isConversationKey, type ConversationKey } from '../core/conversation-key.js';
import { toInteractionRef } from '../core/surface.js';
import type { Lane } from './conversation-order.js';

export const QUEUES = { chat: 'chat', commands: 'commands' } as const;

/** Commands that take their turn in the conversation like a chat job. */
export const ORDERED_COMMANDS: ReadonlySet<CommandJob['command']> = new Set(ORDERED);

const id = z.string().min(1).max(200);

/** Built by core/conversation-key.ts: `<channel>` or `<channel>/<thread>`. */
const conversationKey = z.custom<ConversationKey>(
  (value) => isConversationKey(value) && value.length <= 200,
  'expected a conversation key: <channel> or <channel>/<thread>, at most 200 characters',
);

/**
 * An interaction reference is opaque here: a flat object of strings, read only
 * by its platform (src/platforms/<platform>/interaction-ref.ts).
 */
const interactionRef = z
  .record(z.string().max(100), z.string().max(4_000))
  .refine((fields) => Object.keys(fields).length >= 1 && Object.keys(fields).length <= 16, {
    message: 'expected an interaction reference of 1 to 16 fields',
  })
  .transform(toInteractionRef);

export const chatJobSchema = z.object({
  v: z.literal(1),
  platform: z.string().regex(/^[a-z][a-z0-9-]*$/),
  tenantId: id,
  conversationKey,
  channelId: id,
  parentChannelId: id.optional(),
  messageId: id,
  threadId: id.optional(),
  replyTo: id.optional(),
  newThread: z.object({ name: z.string().min(1).max(200) }).optional(),
  author: z.object({ id, name: z.string().min(1).max(200), tenantId: id.optional() }),
  text: z.string().max(40_000),
  attachments: z
    .array(
      z.object({
        url: z.url({ protocol: /^https?$/ }).max(2_000),
        name: z.string().min(1).max(300),
        size: z.number().int().nonnegative().optional(),
        contentType: z.string().max(200).optional(),
      }),
    )
    .max(100)
    .optional(),
  unnamed: z.array(id).max(100).optional(),
  receivedAt: z.iso.datetime(),
  shared: z.boolean().optional(),
  arrivedAt: z.number().int().positive().optional(),
  regenerates: z
    .object({
      answerId: id,
      messages: z.array(z.object({ channelId: id, messageId: id })).max(20),
      askedAt: z.number().int().nonnegative(),
    })
    .optional(),
}) satisfies z.ZodType<ChatJob>;

/**
 * The lane a chat job waits in (conversation-order.ts): its author's in a
 * shared conversation, none (strict order) elsewhere. The producer registers
 * the job in it and the worker asks for its turn in it.
 */
export function laneOf(job: Pick<ChatJob, 'shared' | 'author'>): Lane {
  return job.shared ? job.author.id : undefined;
}

export const commandJobSchema = z.object({
  v: z.literal(1),
  platform: z.string().regex(/^[a-z][a-z0-9-]*$/),
  tenantId: id,
  channelId: id,
  parentChannelId: id.optional(),
  conversationKey,
  interaction: interactionRef,
  actor: z.object({ id, name: z.string().min(1).max(200), isAdmin: z.boolean() }),
  actorPending: z.boolean().optional(),
  command: z.enum(COMMANDS),
  options: z.record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean()])),
  uploadLimitBytes: z.number().int().positive().optional(),
  receivedAt: z.iso.datetime(),
}) satisfies z.ZodType<CommandJob>;

/** A button press (core/controls/): it names the answer by its chat job's id. */
export const controlJobSchema = z.object({
  v: z.literal(1),
  platform: z.string().regex(/^[a-z][a-z0-9-]*$/),
  tenantId: id,
  channelId: id,
  action: z.enum(['stop', 'regenerate', 'up', 'down']),
  answerId: id,
  askerId: id,
  interaction: interactionRef,
  actor: z.object({ id, name: z.string().min(1).max(200), isAdmin: z.boolean() }),
  actorPending: z.boolean().optional(),
  message: z.object({ channelId: id, messageId: id, threadId: id.optional() }),
  pressId: id,
  receivedAt: z.iso.datetime(),
}) satisfies z.ZodType<ControlJob>;

/** The name control jobs have on the commands queue. */
export const CONTROL_JOB = 'control';

/**
 * What an attempt leaves for the next one: the messages it posted (and where
 * they go, when that was decided while answering), whether
 * the question was marked as waiting for its turn, and since when it waits
 * out a store that cannot be reached.
 */
export const progressSchema = z.object({
  messages: z.array(z.object({ channelId: id, messageId: id, stream: z.boolean().optional() })),
  /** Where the answer goes, once an attempt decided it (the thread it opened). */
  target: z.object({ channelId: id, threadId: id.optional(), replyTo: id.optional() }).optional(),
  waiting: z.boolean().optional(),
  outageSince: z.number().optional(),
});

export type Progress = z.infer<typeof progressSchema>;

export function readProgress(progress: unknown): Progress {
  const parsed = progressSchema.safeParse(progress);
  return parsed.success ? parsed.data : { messages: [] };
}

/**
 * A job id from the platform event's own id, so a redelivered event maps to the
 * same job and is dropped. BullMQ refuses ids that parse as integers and ids
 * with ':' — hence the prefix and the replacement.
 */
export function jobIdFor(platform: string, kind: 'msg' | 'cmd' | 'ctl', eventId: string): string {
  return `${platform}-${kind}-${eventId.replace(/:/g, '_')}`;
}
