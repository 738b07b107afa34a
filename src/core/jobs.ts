/** The jobs the gateway hands to workers: plain JSON, validated at both ends (src/queue/jobs.ts). */
import type { AttachmentRef } from './attachments/types.js';
import type { Actor } from './settings/index.js';
import type { ConversationKey } from './conversation-key.js';
import type { ControlAction } from './controls/control-id.js';
import type { InteractionRef, MessageRef, ReplyTarget } from './surface.js';

export interface JobAuthor {
  readonly id: string;
  /** Display name as the platform shows it; told to the model. */
  readonly name: string;
  /**
   * The author's own tenant where it is not the job's (Slack Connect: a
   * person of another workspace asking in a shared channel). The job's
   * tenant (settings, quotas) stays the one the bot is installed in.
   */
  readonly tenantId?: string;
}

/**
 * Someone mentioned the bot: answer `text` in `channelId` (in `threadId` when
 * set, as a reply to `replyTo` when set: the gateway decides where answers go).
 */
export interface ChatJob {
  readonly v: 1;
  readonly platform: string;
  /** Discord guild, Slack workspace; `dm:<user id>` for direct messages. */
  readonly tenantId: string;
  /** Channel or thread whose history the answer continues. */
  readonly conversationKey: ConversationKey;
  readonly channelId: string;
  /** Set when `channelId` is a thread that is a channel of its own (Discord): the channel it is in. */
  readonly parentChannelId?: string;
  /** The question's own message id. */
  readonly messageId: string;
  /** The thread the answer goes in (a Slack thread's parent ts); unset: the channel. */
  readonly threadId?: string;
  /** The message the answer replies to, where the platform has replies (Discord). */
  readonly replyTo?: string;
  /**
   * The answer opens a thread on the question, named `name`
   * (`ChatSurface.startThread`), and goes there; `conversationKey` is already
   * the new thread's. Where the surface cannot open one, it goes in place.
   */
  readonly newThread?: { readonly name: string };
  readonly author: JobAuthor;
  readonly text: string;
  /**
   * Files attached to the question, as the platform described them; the
   * worker fetches them (core/attachments), the gateway only notes them.
   */
  readonly attachments?: readonly AttachmentRef[];
  /**
   * People the gateway could not name without a platform call on its
   * acknowledgement path: the text shows them as `@<id>`, an author among
   * them is named by id, and the worker names them (`ChatSurface.names`).
   */
  readonly unnamed?: readonly string[];
  readonly receivedAt: string;
  /**
   * The conversation is shared: many people ask in it at once (a Discord
   * server's text channel). Set by the platform adapter. A question there
   * waits only for its author's earlier questions in it, and sees the
   * exchanges stored when it arrived plus its author's own. Unset: strict
   * order (a thread, a DM), each question after the one before, seeing all.
   */
  readonly shared?: boolean;
  /**
   * When the queue accepted the job (ms since the epoch), set by the producer
   * and kept with the job, so a retry sees the history the first attempt saw.
   */
  readonly arrivedAt?: number;
  /**
   * Asks again for an answer someone chose to regenerate: the answer streams
   * into its `messages`, the history is the one before it, and the stored
   * answer is replaced (the old one kept aside). `answerId` is the job id the
   * answer is stored under.
   */
  readonly regenerates?: {
    readonly answerId: string;
    readonly messages: readonly MessageRef[];
    /** When the question was first asked (ms since the epoch): the history is what came before. */
    readonly askedAt: number;
  };
}

/** Someone ran one of the bot's commands; the platform already acknowledged it. */
export interface CommandJob {
  readonly v: 1;
  readonly platform: string;
  readonly tenantId: string;
  readonly channelId: string;
  /** Set when `channelId` is a thread that is a channel of its own (Discord): the channel it is in. */
  readonly parentChannelId?: string;
  /** The conversation /forget clears, with every conversation nested in it (a channel's threads). */
  readonly conversationKey: ConversationKey;
  readonly interaction: InteractionRef;
  readonly actor: Actor;
  /**
   * The gateway did not look the actor up (it makes no platform call before
   * acknowledging): `actor` holds only the id and the name the platform sent,
   * no admin right, and the worker asks `InteractionSurface.person`.
   */
  readonly actorPending?: boolean;
  /** The command's job name (`imagine`, `settings.set`), one of core/commands' list. */
  readonly command: string;
  /** The command's options as the user gave them, unvalidated. */
  readonly options: Readonly<Record<string, string | number | boolean>>;
  /** Largest file the platform takes in the answer, when it says so per invocation. */
  readonly uploadLimitBytes?: number;
  readonly receivedAt: string;
}

/**
 * Someone pressed a button on an answer (controls/control-id.ts); the
 * platform already acknowledged the press. Handled by any worker.
 */
export interface ControlJob {
  readonly v: 1;
  readonly platform: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly action: ControlAction;
  /** The chat job that made the answer. */
  readonly answerId: string;
  /** Who asked the question (from the button's id). */
  readonly askerId: string;
  /** Answers the person who pressed, privately. */
  readonly interaction: InteractionRef;
  /** Who pressed; with `actorPending`, only the id and name the platform sent. */
  readonly actor: Actor;
  readonly actorPending?: boolean;
  /** The message the button is on (`threadId`: the thread it is in, on Slack). */
  readonly message: MessageRef & { readonly threadId?: string };
  /** The press's own id (Discord's interaction id, Slack's trigger id). */
  readonly pressId: string;
  readonly receivedAt: string;
}

/**
 * The channel whose settings are in force for a job: its own, or the parent
 * channel's where it runs in a thread (a Slack thread's job names its channel already).
 */
export function settingsChannel(job: Pick<ChatJob, 'channelId' | 'parentChannelId'>): string {
  return job.parentChannelId ?? job.channelId;
}

/** What a worker knows about the attempt it is running. */
export interface JobContext {
  readonly jobId: string;
  /** True when no retry follows if this attempt fails (attempts spent). */
  readonly finalAttempt: boolean;
  /** When this job first found a store unreachable (epoch ms), if it did. */
  readonly outageSince?: number;
  /** Messages an earlier attempt posted (persisted with the job). */
  readonly progress: readonly MessageRef[];
  /** Where an earlier attempt decided the answer goes (the thread it opened for `newThread`). */
  readonly target?: ReplyTarget;
  /** The question waited for its turn and was marked so (the mark is to be taken away). */
  readonly waited?: boolean;
  /**
   * Called once the answer is stored: the conversation's next question may
   * start (it sees this answer) while this one's last edits go out.
   */
  readonly answered?: () => Promise<void>;
  /**
   * Aborted when this attempt must stop at once and write nothing more: the
   * worker lost the job's lock (another worker may continue it) or is
   * shutting down (the job is handed back). The handler then rethrows.
   */
  readonly signal?: AbortSignal;
  saveProgress(messages: readonly MessageRef[]): Promise<void>;
  /** Persists where the answer goes, before anything is posted there. */
  saveTarget?(target: ReplyTarget): Promise<void>;
}

/** What enqueueing a job did: its id, and whether the event had been enqueued before. */
export type EnqueueResult = {
  readonly jobId: string;
  readonly duplicate: boolean;
  /** The queue was unreachable: the job is kept and queued once it is back. */
  readonly kept?: boolean;
};

/** Where gateways put the jobs they make: the queue producer, and what wraps it. */
export interface JobSink {
  /** `eventId` names the platform event the job comes from (default: the question's id). */
  enqueueChat(job: ChatJob, eventId?: string): Promise<EnqueueResult>;
  enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult>;
  /** `pressId` names the press (Discord's interaction id, Slack's trigger id). */
  enqueueControl?(job: ControlJob, pressId: string): Promise<EnqueueResult>;
  /**
   * The job an earlier delivery of this event became (queued, or kept until
   * the queue is back), if any; queues and takes nothing. Lets a redelivery
   * be told apart before anything is counted against its author.
   */
  queuedChat?(job: ChatJob, eventId?: string): Promise<EnqueueResult | undefined>;
}

/** A sink that takes button presses; throws where the one given does not. */
export function controlSink(sink: JobSink): Required<Pick<JobSink, 'enqueueControl'>> {
  const enqueue = sink.enqueueControl?.bind(sink);
  if (!enqueue) throw new Error('this job sink takes no button presses');
  return { enqueueControl: enqueue };
}
