/**
 * The steady load of a chaos run: many people on Discord (mentions in several
 * channels and a thread) and on Slack (channel mentions, and follow-ups with a
 * mention in earlier threads), and /imagine on both. Every question carries a
 * marker (`Q0042`) its answer is recognised by, and records whether the
 * platform would count it as taken by the bot: a Discord message dispatched
 * while a gateway session was up, a Slack event acknowledged with a 2xx (on
 * any of Slack's attempts), a command acknowledged.
 */
import { questionMarker } from '../../bench/answers.js';
import type { FakeUser } from '../fakes/discord/types.js';
import type { FakeSlackUser } from '../fakes/slack/types.js';
import { channel, GUILD, PERMISSIONS, SLACK, THREAD, type Stack } from '../e2e/stack.js';
import { sleep, type ChaosPlan } from './plan.js';

export type QuestionKind =
  'discord mention' | 'slack mention' | 'slack follow-up' | 'discord /imagine' | 'slack /imagine';
export const QUESTION_KINDS: readonly QuestionKind[] = [
  'discord mention',
  'slack mention',
  'slack follow-up',
  'discord /imagine',
  'slack /imagine',
];

export interface Question {
  readonly n: number;
  readonly marker: string;
  readonly kind: QuestionKind;
  /** When the fake platform stored and sent it. */
  readonly sentAt: number;
  readonly channel: string;
  /** Discord message id, Slack message ts, Discord interaction id, Slack command id. */
  readonly key: string;
  /** Slack: the thread the answer goes to (the mention's own ts for a top-level one). */
  readonly threadTs?: string;
  /** Slack events: the event id, to find its deliveries. */
  readonly eventId?: string;
  /** /imagine: the prompt. */
  readonly prompt?: string;
  /** Known at once for Discord mentions; for the others once the acknowledgement settles. */
  accepted?: boolean;
}

/** Forty Discord members and twenty Slack people: nobody asks often enough to be a flood. */
export const DISCORD_PEOPLE: readonly FakeUser[] = Array.from({ length: 40 }, (_, i) => ({
  id: `2000000000000${String(100 + i).padStart(5, '0')}`,
  username: `member${i}`,
  globalName: `Member ${i}`,
}));
export const SLACK_PEOPLE: readonly FakeSlackUser[] = Array.from({ length: 20 }, (_, i) => ({
  id: `U0CHAOS${String(i).padStart(3, '0')}`,
  name: `person${i}`,
  displayName: `Person ${i}`,
}));
/** The twelve channels of the test server and its thread. */
const DISCORD_PLACES = [...Array.from({ length: 12 }, (_, i) => channel(i + 1)), THREAD];
/** Slack channels 1–10 take mentions; 11–14 (and Discord's 12) take /imagine too. */
const SLACK_CHANNELS = Array.from({ length: 10 }, (_, i) => SLACK.channel(i + 1));
const IMAGINE_SLACK_CHANNELS = Array.from({ length: 4 }, (_, i) => SLACK.channel(i + 11));
const STRING_OPTION = 3;

export class Load {
  readonly questions: Question[] = [];
  private stopped = false;
  private readonly acks: Promise<void>[] = [];
  private readonly slackRoots: Question[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly plan: ChaosPlan,
    private readonly random: () => number,
  ) {}

  /** Drives the load until `stop()`; resolves when the loops have ended. */
  run(): Promise<void> {
    const { load } = this.plan;
    let imagines = 0;
    return Promise.all([
      this.every(load.discordEveryMs, () => this.discordMention()),
      this.every(load.slackEveryMs, () => this.slackMention()),
      this.every(load.imagineEveryMs, () =>
        imagines++ % 2 === 0 ? this.discordImagine() : this.slackImagine(),
      ),
    ]).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Waits for every acknowledgement to settle (each within the platforms' 3-s deadline). */
  async settled(): Promise<void> {
    await Promise.all(this.acks);
  }

  private async every(everyMs: number, ask: () => void): Promise<void> {
    // Staggered starts, so the three streams do not fire together.
    let next = Date.now() + this.random() * everyMs;
    while (!this.stopped) {
      await sleep(next - Date.now());
      if (this.stopped) return;
      try {
        ask();
      } catch (err) {
        // A fake refusing to send (e.g. a command not registered yet) is the harness's problem.
        console.error('chaos load: could not send a question', err);
      }
      next += everyMs;
    }
  }

  private next(kind: QuestionKind) {
    const n = this.questions.length + 1;
    return { n, marker: questionMarker(n), kind };
  }

  private discordMention(): void {
    const base = this.next('discord mention');
    const place = DISCORD_PLACES[base.n % DISCORD_PLACES.length]!;
    // A session is up when a connection has identified and is still open.
    const sessionUp = this.stack.discord.gatewayConnections.some((c) => c.open && c.sessionId);
    const message = this.stack.discord.sendMessage({
      channelId: place,
      author: DISCORD_PEOPLE[base.n % DISCORD_PEOPLE.length]!,
      content: `${base.marker}: what do you make of this?`,
      mentionsBot: true,
    });
    this.questions.push({
      ...base,
      sentAt: message.createdAt,
      channel: place,
      key: message.id,
      accepted: sessionUp,
    });
  }

  private slackMention(): void {
    const earlier = this.slackRoots.filter((r) => Date.now() - r.sentAt > 3_000).slice(-5);
    const followUp = earlier.length > 0 && this.random() < this.plan.load.followUpShare;
    const base = this.next(followUp ? 'slack follow-up' : 'slack mention');
    const root = followUp ? earlier[Math.floor(this.random() * earlier.length)] : undefined;
    const place = root?.channel ?? SLACK_CHANNELS[base.n % SLACK_CHANNELS.length]!;
    const sent = this.stack.slack.sendMention({
      channel: place,
      user: SLACK_PEOPLE[base.n % SLACK_PEOPLE.length]!.id,
      text: followUp ? `${base.marker}: and then?` : `${base.marker}: what do you make of this?`,
      ...(root ? { threadTs: root.threadTs! } : {}),
    });
    const question: Question = {
      ...base,
      sentAt: this.stack.slack.message(place, sent.ts)?.postedAt ?? Date.now(),
      channel: place,
      key: sent.ts,
      threadTs: root?.threadTs ?? sent.ts,
      eventId: sent.eventId,
    };
    this.questions.push(question);
    if (!root) this.slackRoots.push(question);
    // Slack's retries may be acknowledged later: the verdict reads every delivery.
    this.acks.push(
      sent.delivery.then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  private discordImagine(): void {
    const base = this.next('discord /imagine');
    const place = channel(12);
    const prompt = `${base.marker} a lighthouse in a storm`;
    const sent = this.stack.discord.sendInteraction({
      name: 'imagine',
      options: [
        { name: 'prompt', type: STRING_OPTION, value: prompt },
        { name: 'size', type: STRING_OPTION, value: '512x512' },
      ],
      guildId: GUILD,
      channelId: place,
      user: DISCORD_PEOPLE[base.n % DISCORD_PEOPLE.length]!,
      permissions: PERMISSIONS.member,
    });
    const question: Question = {
      ...base,
      sentAt: this.stack.discord.interactionState(sent.id)?.dispatchedAt ?? Date.now(),
      channel: place,
      key: sent.id,
      prompt,
    };
    this.questions.push(question);
    this.acks.push(
      sent.callback.then(
        // Without a session nobody acknowledges it: Discord shows "did not respond".
        (outcome) => void (question.accepted = outcome.acknowledged),
        () => void (question.accepted = false),
      ),
    );
  }

  private slackImagine(): void {
    const base = this.next('slack /imagine');
    const place = IMAGINE_SLACK_CHANNELS[base.n % IMAGINE_SLACK_CHANNELS.length]!;
    const prompt = `${base.marker} a red fox in snow`;
    const sent = this.stack.slack.runCommand({
      command: '/imagine',
      text: `${prompt} --size 512x512`,
      user: SLACK_PEOPLE[base.n % SLACK_PEOPLE.length]!.id,
      channel: place,
    });
    const question: Question = {
      ...base,
      sentAt: Date.now(),
      channel: place,
      key: sent.id,
      prompt,
    };
    this.questions.push(question);
    this.acks.push(
      sent.ack.then(
        (ack) => void (question.accepted = ack.acknowledged),
        () => void (question.accepted = false),
      ),
    );
  }
}
