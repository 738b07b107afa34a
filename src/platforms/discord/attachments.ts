/**
 * Files attached to a Discord message: noted by the gateway (no download on
 * the acknowledgement path), fetched by a worker from Discord's CDN. CDN links
 * are signed and expire (`ex=` in the query), so the worker fetches them once
 * and sends the model the bytes; the bot token is never sent to the CDN.
 */
import type { Message } from 'discord.js';
import type { AttachmentRef } from '../../core/attachments/types.js';

/** A message's attachments as a job carries them. */
export function attachmentsOf(message: Pick<Message, 'attachments'>): AttachmentRef[] {
  return [...message.attachments.values()].map((attachment) => ({
    url: attachment.url,
    name: attachment.name,
    size: attachment.size,
    ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
  }));
}

/** GETs a CDN link as it is: the signature in its query is the only credential. */
export function fetchDiscordAttachment(
  file: AttachmentRef,
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  if (!/^https?:\/\//i.test(file.url)) throw new Error('not an http(s) link');
  return fetchImpl(file.url, { signal, redirect: 'follow' });
}
