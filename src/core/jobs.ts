/** The jobs the gateway hands to workers: plain JSON, validated at both ends (src/queue/jobs.ts). */
import type { MessageRef } from './surface.js';

export interface JobAuthor {
  readonly id: string;
  /** Display name as the platform shows it; told to the model. */
  readonly name: string;
}

/** Someone mentioned the bot: answer `text` in `channelId`, replying to `messageId`. */
export interface ChatJob {
  readonly v: 1;
  readonly platform: string;
  /** Discord guild, Slack workspace; `dm:<user id>` for direct messages. */
  readonly tenantId: string;
  /** Channel or thread whose history the answer continues. */
  readonly conversationKey: string;
  readonly channelId: string;
  readonly messageId: string;
  readonly author: JobAuthor;
  readonly text: string;
  readonly receivedAt: string;
}

/** What a worker knows about the attempt it is running. */
export interface JobContext {
  readonly jobId: string;
  /** True when no retry follows if this attempt fails. */
  readonly finalAttempt: boolean;
  /** Messages an earlier attempt posted (persisted with the job). */
  readonly progress: readonly MessageRef[];
  saveProgress(messages: readonly MessageRef[]): Promise<void>;
}
