/**
 * What each question got, read from what the fake platforms stored: the bot's
 * messages (with every version of their text and when it was shown), the
 * /imagine answers and uploaded files. A message belongs to a question when it
 * ever showed the question's answer marker (`A0042`), or (Discord) replies to
 * it; bot messages that belong to no question are reported as stray.
 *
 * Outcomes, for a question the platform counted as taken (accepted):
 * - exact: one message, ending with exactly the expected text (or image bytes);
 * - twice: more than one message (a second answer, or a frozen partial one beside it);
 * - wrong: one message ending with anything else (partial, an error sentence);
 * - lost: nothing.
 * "Final" is the moment the answer's message started showing the exact text
 * for good: the first of the trailing versions equal to it.
 */
import { markerOf, type AnswerShape } from '../../bench/answers.js';
import type { StoredMessage as DiscordMessage } from '../fakes/discord/types.js';
import { imageBytes, type ImageRequestBody } from '../fakes/chutes/index.js';
import type { StoredMessage as SlackMessage } from '../fakes/slack/types.js';
import { BOT, type Stack } from '../e2e/stack.js';
import type { Question } from './load.js';
import { answerText, promptMarker } from './model.js';

export type Outcome = 'exact' | 'twice' | 'wrong' | 'lost';

export interface Verdict {
  readonly question: Question;
  readonly accepted: boolean;
  readonly outcome: Outcome;
  /** Messages (or files) answering it. */
  readonly answers: number;
  /** When the exact answer was final (exact outcomes only). */
  readonly finalAt?: number;
  /** What it shows at the end, for the report's details. */
  readonly shown?: string;
  /** Requests the fake Chutes got for it (chat or image). */
  readonly modelCalls?: number;
}

export interface Verdicts {
  readonly verdicts: readonly Verdict[];
  /** Bot messages that belong to no question: their texts. */
  readonly stray: readonly string[];
}

interface Version {
  readonly at: number;
  readonly text: string;
}

const answerMarker = (marker: string) => new RegExp(`\\bA${marker.slice(1)}\\b`);

/** The first moment of the trailing run of versions showing `expected`. */
function finalMoment(versions: readonly Version[], expected: string): number | undefined {
  let at: number | undefined;
  for (let i = versions.length - 1; i >= 0 && versions[i]!.text === expected; i--) {
    at = versions[i]!.at;
  }
  return at;
}

/** A Discord message's versions; its first text is gone once edited (a placeholder). */
function discordVersions(m: DiscordMessage): Version[] {
  if (m.edits.length === 0) return [{ at: m.createdAt, text: m.content }];
  return [{ at: m.createdAt, text: '' }, ...m.edits.map((e) => ({ at: e.at, text: e.content }))];
}

const slackVersions = (m: SlackMessage): Version[] =>
  m.history.map((v) => ({ at: v.at, text: v.text }));

function judgeText(
  question: Question,
  accepted: boolean,
  messages: readonly { versions: readonly Version[] }[],
  expected: string,
): Verdict {
  const base = { question, accepted, answers: messages.length };
  if (messages.length === 0) return { ...base, outcome: 'lost' };
  const shown = messages.map((m) => m.versions.at(-1)?.text ?? '').join(' ‖ ');
  if (messages.length > 1) return { ...base, outcome: 'twice', shown };
  const finalAt = finalMoment(messages[0]!.versions, expected);
  return finalAt === undefined
    ? { ...base, outcome: 'wrong', shown }
    : { ...base, outcome: 'exact', finalAt, shown };
}

/** What judging one question needs: the fakes, and the messages already claimed. */
interface Reading {
  readonly stack: Stack;
  readonly shape: AnswerShape;
  readonly claimed: Set<unknown>;
  readonly accepted: (q: Question) => boolean;
  readonly expectedImage: (q: Question) => Buffer | undefined;
}

export function judge(stack: Stack, questions: readonly Question[], shape: AnswerShape): Verdicts {
  const reading: Reading = {
    stack,
    shape,
    claimed: new Set(),
    accepted: acceptance(stack),
    expectedImage: imagesAsked(stack),
  };
  const calls = modelCalls(stack);
  const verdicts = questions.map((q) => ({
    ...verdictOf(q, reading),
    modelCalls: calls.get(q.marker) ?? 0,
  }));
  return { verdicts, stray: strayMessages(stack, questions, reading.claimed) };
}

function verdictOf(q: Question, r: Reading): Verdict {
  const { stack, claimed } = r;
  const ok = r.accepted(q);
  const marker = answerMarker(q.marker);
  switch (q.kind) {
    case 'discord mention': {
      const mine = stack
        .botMessages(q.channel)
        .filter(
          (m) =>
            m.messageReference?.messageId === q.key ||
            discordVersions(m).some((v) => marker.test(v.text)),
        );
      for (const m of mine) claimed.add(m);
      const versions = mine.map((m) => ({ versions: discordVersions(m) }));
      return judgeText(q, ok, versions, answerText(q.marker, r.shape));
    }
    case 'slack mention':
    case 'slack follow-up': {
      const mine = stack.slack
        .botMessages(q.channel, q.threadTs)
        .filter((m) => m.origin === 'bot' && m.history.some((v) => marker.test(v.text)));
      for (const m of mine) claimed.add(m);
      const versions = mine.map((m) => ({ versions: slackVersions(m) }));
      return judgeText(q, ok, versions, answerText(q.marker, r.shape));
    }
    case 'discord /imagine': {
      const state = stack.discord.interactionState(q.key);
      const all = [state?.original, ...(state?.followups ?? [])].filter(
        (m): m is DiscordMessage => m !== undefined && !m.deleted,
      );
      for (const m of all) claimed.add(m);
      const images = all
        .filter((m) => m.attachments.length > 0)
        .map((m) => ({
          bytes: m.attachments[0]!.bytes,
          at: m.edits.find((e) => e.attachments.length > 0)?.at ?? m.createdAt,
        }));
      const said = all.map((m) => m.content).filter(Boolean);
      return judgeImage(q, ok, images, r.expectedImage(q), said);
    }
    case 'slack /imagine': {
      const named = new RegExp(`\\b${q.marker}\\b`);
      const images = stack.slack.files
        .filter((f) => named.test(f.initialComment ?? ''))
        .map((f) => ({ bytes: f.bytes, at: f.completedAt! }));
      const said = stack.slack
        .commandResponses(q.key)
        .filter((c) => c.via === 'response_url')
        .map((c) => c.text ?? '');
      return judgeImage(q, ok, images, r.expectedImage(q), said);
    }
  }
}

/** Requests the fake Chutes got per question marker. */
function modelCalls(stack: Stack): Map<string, number> {
  const calls = new Map<string, number>();
  for (const r of stack.chutes.requests) {
    if (r.method !== 'POST') continue;
    const marker =
      r.path === '/generate'
        ? promptMarker((r.body as Partial<ImageRequestBody> | undefined)?.prompt ?? '')
        : markerOf(r.body);
    if (marker) calls.set(marker, (calls.get(marker) ?? 0) + 1);
  }
  return calls;
}

function judgeImage(
  question: Question,
  accepted: boolean,
  images: readonly { bytes: Buffer | undefined; at: number }[],
  expected: Buffer | undefined,
  said: readonly string[],
): Verdict {
  const base = { question, accepted, answers: images.length };
  if (images.length > 1) return { ...base, outcome: 'twice', shown: `${images.length} images` };
  const [image] = images;
  if (!image) {
    // No image, but a sentence in its place (a failure told to the user).
    return said.length
      ? { ...base, answers: 1, outcome: 'wrong', shown: said.join(' ‖ ') }
      : { ...base, outcome: 'lost' };
  }
  return image.bytes && expected && image.bytes.equals(expected)
    ? { ...base, outcome: 'exact', finalAt: image.at }
    : { ...base, outcome: 'wrong', shown: 'an image with other bytes' };
}

/** Whether the platform counted a question as taken by the bot. */
function acceptance(stack: Stack): (q: Question) => boolean {
  const acknowledged = new Set(
    stack.slack.deliveries
      .filter((d) => d.kind === 'events_api' && d.acknowledged)
      .map((d) => d.id),
  );
  return (q) => (q.eventId ? acknowledged.has(q.eventId) : q.accepted === true);
}

/** The bytes each /imagine must show: the fake's image for the request the service made. */
function imagesAsked(stack: Stack): (q: Question) => Buffer | undefined {
  const bodies = new Map<string, ImageRequestBody>();
  for (const r of stack.chutes.requests) {
    if (r.path !== '/generate' || !r.valid) continue;
    const body = r.body as ImageRequestBody;
    const marker = promptMarker(body.prompt);
    if (marker && !bodies.has(marker)) bodies.set(marker, body);
  }
  return (q) => {
    const body = bodies.get(q.marker);
    return body ? imageBytes(body) : undefined;
  };
}

/** The bot's messages no question claimed (error sentences, flood refusals, orphans). */
function strayMessages(
  stack: Stack,
  questions: readonly Question[],
  claimed: Set<unknown>,
): string[] {
  const stray: string[] = [];
  const discordPlaces = new Set(
    questions.filter((q) => q.kind.startsWith('discord')).map((q) => q.channel),
  );
  for (const place of discordPlaces) {
    for (const m of stack.discord.messages(place)) {
      if (m.author.id !== BOT.id || claimed.has(m) || m.interaction) continue;
      stray.push(`discord: ${m.content.slice(0, 120)}`);
    }
  }
  const slackPlaces = new Set(
    questions.filter((q) => q.kind.startsWith('slack')).map((q) => q.channel),
  );
  for (const place of slackPlaces) {
    for (const m of stack.slack.botMessages(place)) {
      if (m.origin !== 'bot' || claimed.has(m)) continue;
      stray.push(`slack: ${(m.history.at(-1)?.text ?? '').slice(0, 120)}`);
    }
  }
  return stray;
}
