/**
 * Discord's interaction reference, built by the gateway and read by the
 * surface: what the webhook route needs to edit the deferred answer. The
 * token is a credential for 15 minutes (discord-api-docs: receiving and
 * responding to interactions).
 */
import { z } from 'zod';
import type { InteractionRef } from '../../core/surface.js';
import { interactionCodec } from '../interaction-ref-codec.js';

const schema = z.object({
  applicationId: z.string().regex(/^\d{1,20}$/, 'expected a snowflake'),
  token: z.string().min(1).max(2_000),
});

export type DiscordInteraction = z.infer<typeof schema>;

const codec = interactionCodec('Discord interaction reference', schema);

export const encodeDiscordInteraction: (fields: DiscordInteraction) => InteractionRef =
  codec.encode;

/** Throws MalformedRefError for a reference the Discord gateway did not build. */
export const decodeDiscordInteraction: (ref: InteractionRef) => DiscordInteraction = codec.decode;
