/**
 * Which events Slack delivers to the app: those its manifest subscribes to
 * (`settings.event_subscriptions.bot_events`), each only with the scope it
 * needs, and `message.*` only from conversations the bot is in. By default
 * the fake reads the app's committed manifest, as Slack reads the one pasted
 * into api.slack.com; a test can pass another.
 */
import { readFileSync } from 'node:fs';
import type { ChannelState } from './state.js';

export interface EventSubscriptions {
  /** `bot_events`: `app_mention`, `message.channels`, `message.im`, … */
  readonly events: readonly string[];
  /** The bot token's scopes (`oauth_config.scopes.bot`). */
  readonly scopes: readonly string[];
}

/** The app's manifest, relative to this file. */
const MANIFEST = new URL('../../../src/platforms/slack/manifest.json', import.meta.url);

interface ManifestShape {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
}

/** The subscriptions of the committed manifest. */
export function manifestSubscriptions(): EventSubscriptions {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as ManifestShape;
  return {
    events: manifest.settings.event_subscriptions.bot_events,
    scopes: manifest.oauth_config.scopes.bot,
  };
}

export type ConversationType = ChannelState['type'];

/** A `message` event's subscription and scope prefix, by the conversation's type. */
const MESSAGE_EVENTS: Record<ConversationType, string> = {
  channel: 'channels',
  group: 'groups',
  im: 'im',
  mpim: 'mpim',
};

/** The scope each bot event needs (docs.slack.dev, the events' "Required scopes"). */
export function scopeOf(event: string): string | undefined {
  if (event === 'app_mention') return 'app_mentions:read';
  if (event === 'assistant_thread_started' || event === 'assistant_thread_context_changed')
    return 'assistant:write';
  const kind = /^message\.(channels|groups|im|mpim)$/.exec(event)?.[1];
  return kind ? `${kind}:history` : undefined;
}

/** Slack refuses a manifest that subscribes to an event without its scope. */
export function checkSubscriptions(subs: EventSubscriptions): void {
  for (const event of subs.events) {
    const scope = scopeOf(event);
    if (scope && !subs.scopes.includes(scope)) {
      throw new Error(`fake-slack: the bot event ${event} needs the scope ${scope}`);
    }
  }
}

const subscribed = (subs: EventSubscriptions, event: string) =>
  subs.events.includes(event) && subs.scopes.includes(scopeOf(event) ?? event);

/**
 * Why an event of this type in this conversation would not reach the app,
 * or undefined when it would.
 */
export function notDelivered(
  subs: EventSubscriptions,
  type: string,
  ch: ChannelState,
): string | undefined {
  if (type === 'app_mention') {
    if (!subscribed(subs, 'app_mention')) return 'the app does not subscribe to app_mention';
    // Slack offers to invite the app instead of delivering the mention.
    if (!ch.botIsMember) return `the bot is not in ${ch.id}`;
    return undefined;
  }
  if (type.startsWith('assistant_thread_')) {
    if (!subscribed(subs, type)) return `the app does not subscribe to ${type} with its scope`;
    return undefined;
  }
  if (type !== 'message') return undefined;
  const event = `message.${MESSAGE_EVENTS[ch.type]}`;
  if (!subscribed(subs, event)) return `the app does not subscribe to ${event} with its scope`;
  if (!ch.botIsMember) return `the bot is not in ${ch.id}`;
  return undefined;
}
