/** The fake Discord as the benchmark drives and reads it. */
import { startFakeDiscord, type FakeDiscord } from '../test/fakes/discord/index.js';
import type { GuildConfig, RequestLogEntry } from '../test/fakes/discord/types.js';
import { tally, type Asked, type PlatformDriver } from './driver.js';
import type { AnswerView, Version } from './metrics.js';
import { DISCORD, type Workload } from './workloads.js';

const MESSAGES = /^\/channels\/(\d+)\/messages$/;
const MESSAGE = /^\/channels\/(\d+)\/messages\/(\d+)$/;
const REACTION = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\//;

const ok = (r: RequestLogEntry) => r.status >= 200 && r.status < 300;

/** Many servers instead of one: the multi-tenant workload's. */
export interface DiscordLayout {
  readonly guilds: readonly GuildConfig[];
  /** Question i goes to channel i % channels.length. */
  readonly channels: readonly string[];
  readonly recommendedShards: number;
  readonly maxConcurrency: number;
}

export interface DiscordDriver extends PlatformDriver {
  readonly fake: FakeDiscord;
}

export async function discordDriver(w: Workload, layout?: DiscordLayout): Promise<DiscordDriver> {
  const channels =
    layout?.channels ?? Array.from({ length: w.channels }, (_, i) => DISCORD.channel(i + 1));
  const discord = await startFakeDiscord({
    token: DISCORD.token,
    applicationId: DISCORD.applicationId,
    botUser: DISCORD.bot,
    guilds: layout
      ? [...layout.guilds]
      : [
          {
            id: DISCORD.guild,
            name: 'Bench Server',
            channels: channels.map((id, i) => ({ id, name: `bench-${i + 1}` })),
          },
        ],
    ...(layout
      ? {
          recommendedShards: layout.recommendedShards,
          maxConcurrency: layout.maxConcurrency,
        }
      : {}),
    ...(w.relaxedRates ? { rates: DISCORD.relaxedRates } : {}),
  });

  return {
    fake: discord,
    serviceEnv: {
      DISCORD_TOKEN: DISCORD.token,
      DISCORD_APPLICATION_ID: DISCORD.applicationId,
      DISCORD_API_URL: discord.apiUrl,
    },
    naiveEnv: { DISCORD_TOKEN: DISCORD.token, DISCORD_API_URL: discord.apiUrl },
    naiveBot: 'discord',
    eventsTo: () => undefined,

    ask(i, marker): Asked {
      const channel = channels[i % channels.length]!;
      const m = discord.sendMessage({
        channelId: channel,
        author: DISCORD.askers[i % DISCORD.askers.length]!,
        content: `${marker}: what do you think?`,
        mentionsBot: true,
      });
      return { marker, eventAt: m.createdAt, channel, key: m.id };
    },

    views(asked, modelText): AnswerView[] {
      const byKey = new Map(asked.map((a) => [a.key, a]));
      // A message's first text is lost once it is edited: take it from its POST.
      const posts = new Map<string, RequestLogEntry[]>();
      const reactedAt = new Map<string, number>();
      for (const r of discord.requests) {
        if (!ok(r)) continue;
        const post = r.method === 'POST' ? MESSAGES.exec(r.path) : null;
        if (post) {
          const list = posts.get(post[1]!) ?? [];
          list.push(r);
          posts.set(post[1]!, list);
        }
        const reaction = r.method === 'PUT' ? REACTION.exec(r.path) : null;
        if (reaction && !reactedAt.has(reaction[2]!)) reactedAt.set(reaction[2]!, r.at);
      }
      const pages = new Map<string, Version[][]>();
      const firstReply = new Map<string, number>();
      for (const channel of new Set(asked.map((a) => a.channel))) {
        const bot = discord
          .messages(channel, { includeDeleted: true })
          .filter((m) => m.author.id === DISCORD.bot.id);
        const channelPosts = posts.get(channel) ?? [];
        let current: string | undefined;
        bot.forEach((m, k) => {
          const ref = m.messageReference?.messageId;
          // A reply to a question starts its answer; later messages without a reference continue it.
          if (ref && byKey.has(ref)) current = ref;
          if (!current) return;
          const posted = channelPosts[k]?.body as { content?: unknown } | undefined;
          const first =
            m.edits.length === 0
              ? m.content
              : typeof posted?.content === 'string'
                ? posted.content
                : '';
          const versions: Version[] = [
            { at: m.createdAt, text: first },
            ...m.edits.map((e) => ({ at: e.at, text: e.content })),
            ...(m.deleted ? [{ at: m.deletedAt ?? m.createdAt, text: '' }] : []),
          ];
          const list = pages.get(current) ?? [];
          list.push(versions);
          pages.set(current, list);
          if (ref === current && !firstReply.has(current)) firstReply.set(current, m.createdAt);
        });
      }
      return asked.map((a) => {
        const seen = [firstReply.get(a.key), reactedAt.get(a.key)].filter(
          (t): t is number => t !== undefined,
        );
        return {
          marker: a.marker,
          eventAt: a.eventAt,
          modelText: modelText(a.marker),
          firstVisibleAt: seen.length ? Math.min(...seen) : undefined,
          firstMessageAt: firstReply.get(a.key),
          pages: pages.get(a.key) ?? [],
        };
      });
    },

    counts() {
      const reqs = discord.requests;
      const shape = (r: RequestLogEntry) =>
        `${r.method} ${r.path.replace(/\d{15,}/g, ':id')} → ${r.status}${r.code ? ` (${r.code})` : ''}`;
      return {
        posts: reqs.filter((r) => r.method === 'POST' && MESSAGES.test(r.path) && ok(r)).length,
        edits: reqs.filter((r) => r.method === 'PATCH' && MESSAGE.test(r.path) && ok(r)).length,
        rateLimited: discord.rateLimited.length,
        detail: [
          ...tally(
            discord.rateLimited.map(
              (r) =>
                `429 ${r.scope === 'global' ? `global on ${r.method} ${r.path.replace(/\d{15,}/g, ':id')}` : r.route}`,
            ),
          ),
          ...tally(reqs.filter((r) => r.status >= 400 && r.status !== 429).map(shape)),
        ],
      };
    },

    close: () => discord.close(),
  };
}
