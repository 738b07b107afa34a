/**
 * Slack's interaction reference, built by the gateway and read by the
 * surface: the command's response_url (a credential for 30 minutes) and the
 * channel a file answer is uploaded to. No thread: an app's slash commands
 * cannot be invoked in message threads (api.slack.com/interactivity/slash-commands),
 * and their payload carries no thread_ts.
 */
import { z } from 'zod';
import type { InteractionRef } from '../../core/surface.js';
import { interactionCodec } from '../interaction-ref-codec.js';

const schema = z.object({
  responseUrl: z.url({ protocol: /^https?$/ }).max(1_000),
  channelId: z.string().min(1).max(100),
});

export type SlackInteraction = z.infer<typeof schema>;

const codec = interactionCodec('Slack interaction reference', schema);

export const encodeSlackInteraction: (fields: SlackInteraction) => InteractionRef = codec.encode;

/** Throws MalformedRefError for a reference the Slack gateway did not build. */
export const decodeSlackInteraction: (ref: InteractionRef) => SlackInteraction = codec.decode;
