/**
 * Safety, end to end: what the model writes pings nobody, one message gets
 * one answer, the gateways write inside the shared budget, the Slack
 * acknowledgement waits for nothing but the queue, an oversized body closes
 * its connection, and a Slack answer resumed after a crash ends in one
 * message with the exact text.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_PERMISSIONS, Perm } from '../fakes/discord/permissions.js';
import type { FakeUser } from '../fakes/discord/types.js';
import type { StoredMessage } from '../fakes/slack/index.js';
import { SLACK_EVENTS_PATH } from '../../src/platforms/slack/gateway.js';
import { ANN, channel, CHUTES_KEY, SLACK, startStack, testGuild, type Stack } from './stack.js';

const CAROL = { id: 'U0CAROL001', name: 'carol', displayName: 'Carol' };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    slack: { users: [SLACK.ann, SLACK.bob, SLACK.boss, CAROL] },
    discord: {
      // The bot may ping @everyone here: only allowed_mentions keeps it from doing so.
      guilds: [
        {
          ...testGuild(),
          botPermissions: String(BigInt(DEFAULT_BOT_PERMISSIONS) | Perm.MentionEveryone),
        },
      ],
    },
    env: { FLOOD_USER_PER_MINUTE: '10', FLOOD_CHANNEL_PER_MINUTE: '30' },
  });
}, 120_000);
afterAll(async () => {
  const services = stack?.runningServices() ?? [];
  await stack?.stop();
  for (const service of services) expect(service.output.join('\n')).not.toContain(CHUTES_KEY);
});
afterEach(() => {
  // Not a single 429 from either platform, whatever the test did.
  expect(stack.rateLimited()).toEqual([]);
});

const chatRequests = () =>
  stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const shown = (m: StoredMessage) => m.markdown ?? m.text;

/** The bot's messages in a Slack thread once their text satisfies `done` and none streams. */
function slackReplies(
  channelId: string,
  threadTs: string,
  done: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<StoredMessage[]> {
  return stack.slack.waitFor(
    () => {
      const mine = stack.slack.botMessages(channelId, threadTs).filter((m) => !m.deleted);
      const text = mine.map(shown).join('');
      return mine.length > 0 && done(text) && mine.every((m) => m.streaming !== 'streaming')
        ? mine
        : undefined;
    },
    timeoutMs,
    `the bot's reply in ${channelId}/${threadTs}`,
  );
}

describe('what the model writes pings nobody', () => {
  it('mutes Slack broadcasts, user groups and people in a streamed answer, split or not', async () => {
    const chunks = [
      'Sure: <',
      '!chan',
      'nel> and <!here> and ',
      '<!subteam^S0DEVS|@devs> and <@',
      'U0BOB00001> and &lt;!everyone&gt;, done.',
    ];
    const full = chunks.join('');
    stack.chutes.script({ chunks, chunkDelayMs: 700 });
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(1),
      user: SLACK.ann.id,
      text: 'repeat after me: <!channel>',
    });
    const [reply] = await slackReplies(SLACK.channel(1), sent.ts, (t) => t.includes('done.'));
    expect(stack.slack.pings).toEqual([]);
    // Shown as the model wrote it, zero-width spaces aside.
    expect(shown(reply!).replaceAll('\u200B', '')).toBe(full);
  });

  it('keeps Discord answers from pinging @everyone, roles or people', async () => {
    const text = `@everyone @here <@${ANN.id}> <@&${'5'.repeat(18)}> look`;
    stack.chutes.script({ chunks: [text] });
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'ping everyone',
      mentionsBot: true,
    });
    const reply = await stack.discord.waitFor(
      () => stack.botMessages(channel(1)).find((m) => m.content === text),
      15_000,
      'the answer',
    );
    expect(reply.mentions).toEqual([]);
    expect(reply.mentionEveryone).toBe(false);
  });
});

describe('one message, one answer', () => {
  it('answers an edited Slack mention once, whether the edit comes while answering or after', async () => {
    const before = chatRequests().length;
    stack.chutes.script({ chunks: ['first ', 'answer ', 'slowly'], chunkDelayMs: 800 });
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(2),
      user: SLACK.ann.id,
      text: 'what is a monad',
    });
    expect((await sent.delivery).acknowledged).toBe(true);
    await sleep(800);
    const whileAnswering = stack.slack.editMessage({
      channel: SLACK.channel(2),
      ts: sent.ts,
      text: `<@${SLACK.bot}> what is a monad, really`,
    });
    // message_changed (the app hears the channel's messages) and the edit's new app_mention.
    expect(whileAnswering).toHaveLength(2);
    for (const event of whileAnswering) expect((await event.delivery).acknowledged).toBe(true);
    await slackReplies(SLACK.channel(2), sent.ts, (t) => t.endsWith('slowly'));
    const after = stack.slack.editMessage({
      channel: SLACK.channel(2),
      ts: sent.ts,
      text: `<@${SLACK.bot}> what is a monad, in one line`,
    });
    for (const event of after) expect((await event.delivery).acknowledged).toBe(true);
    await sleep(3_000);
    expect(stack.slack.botMessages(SLACK.channel(2), sent.ts)).toHaveLength(1);
    expect(chatRequests().length - before).toBe(1);
    expect(stack.service.logs.filter((l) => l.msg === 'Slack mention already queued')).toHaveLength(
      2,
    );
  });
});

describe('the gateways write inside the shared budget', () => {
  it('refuses a Discord flood with one sentence and no 429', async () => {
    const flooder: FakeUser = {
      id: '200000000000000777',
      username: 'flooder',
      globalName: 'Flooder',
    };
    for (let n = 1; n <= 15; n++) {
      stack.discord.sendMessage({
        channelId: channel(5),
        author: flooder,
        content: `question ${n}`,
        mentionsBot: true,
      });
      await sleep(200);
    }
    await stack.discord.waitFor(
      () =>
        stack.botMessages(channel(5)).filter((m) => m.content.startsWith('You said')).length ===
          10 || undefined,
      60_000,
      'ten answers',
    );
    await sleep(1_000);
    const refusals = stack.botMessages(channel(5)).filter((m) => m.content.startsWith('🐢'));
    expect(refusals).toHaveLength(1);
    // afterEach: no 429 from Discord.
  }, 90_000);
});

describe('the Slack acknowledgement waits for nothing but the queue', () => {
  it('acknowledges a first question from someone new at once while users.info is slow', async () => {
    stack.slack.methodDelayMs['users.info'] = 4_000;
    try {
      const sent = stack.slack.sendMention({
        channel: SLACK.channel(3),
        user: CAROL.id,
        text: 'hello from someone new',
      });
      const delivery = await sent.delivery;
      expect(delivery).toMatchObject({ acknowledged: true, retryNum: 0 });
      expect(delivery.latencyMs).toBeLessThan(1_500);
      await slackReplies(SLACK.channel(3), sent.ts, (t) => t.startsWith('You said'));
      // The worker named the author, off the acknowledgement's path.
      const body = chatRequests().at(-1)!.body as { messages: { content: string }[] };
      expect(body.messages.at(-1)!.content).toBe('Carol: hello from someone new');
    } finally {
      stack.slack.methodDelayMs['users.info'] = 0;
    }
  });
  it('acknowledges commands at once while users.info is slow, and checks admin rights in the worker', async () => {
    stack.slack.methodDelayMs['users.info'] = 4_000;
    try {
      const answered = async (user: string) => {
        const command = stack.slack.runCommand({
          command: '/settings',
          text: 'set temperature 0.3',
          user,
          channel: SLACK.channel(7),
        });
        const ack = await command.ack;
        expect(ack).toMatchObject({ acknowledged: true });
        expect(ack.latencyMs).toBeLessThan(1_500);
        return stack.slack.waitFor(
          () => stack.slack.commandResponses(command.id).find((r) => r.via === 'response_url'),
          15_000,
          'the answer',
        );
      };
      expect((await answered(CAROL.id)).text).toMatch(/Only workspace admins and owners/);
      expect((await answered(SLACK.boss.id)).text).toMatch(/Settings updated/);
    } finally {
      stack.slack.methodDelayMs['users.info'] = 0;
    }
  });
});

/**
 * Sends a request to the Slack events URL: its head, then `body` (which
 * writes for as long as it likes, while nothing has come back), and returns
 * what came back once the service closed the connection.
 */
async function refusedRequest(
  head: string,
  body: (socket: net.Socket, answered: () => boolean) => Promise<void>,
): Promise<string> {
  const socket = net.connect(stack.service.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let answer = '';
  socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST ${SLACK_EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${head}\r\n`,
  );
  await body(socket, () => answer !== '');
  await Promise.race([
    closed,
    sleep(5_000).then(() => {
      throw new Error('the connection stayed open');
    }),
  ]);
  return answer;
}

describe('an oversized Slack body', () => {
  it('is refused with 413 and its connection closed, unread body and all', async () => {
    const answer = await refusedRequest(
      `Content-Length: ${2 * 1024 * 1024}\r\n`,
      async (socket) => void socket.write(`{"pad":"${'x'.repeat(1024)}`),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('is refused the same way when it arrives in chunks, with no length declared', async () => {
    const answer = await refusedRequest(
      'Transfer-Encoding: chunked\r\n',
      async (socket, answered) => {
        // A client that sends as it reads, as a proxy does (one that writes past
        // the answer has its unread answer reset away by its own kernel).
        const chunk = 'x'.repeat(64 * 1024);
        for (let i = 0; i < 24 && !socket.destroyed && !answered(); i++) {
          socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
          await sleep(5);
        }
      },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });
});

describe('a Slack answer resumed after a crash', () => {
  it('ends in the one streamed message with exactly the model text', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => `part${i} `);
    const full = chunks.join('');
    stack.chutes.script({ chunks, chunkDelayMs: 400 });
    stack.chutes.script({ chunks, chunkDelayMs: 20 });
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(4),
      user: SLACK.ann.id,
      text: 'count slowly',
    });
    const streaming = await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(SLACK.channel(4), sent.ts)
          .find((m) => m.streaming === 'streaming' && shown(m).includes('part3')),
      15_000,
      'a partly streamed answer',
    );
    await stack.service.kill();
    stack.service = await stack.startService();
    const [done] = await slackReplies(SLACK.channel(4), sent.ts, (t) => t === full, 30_000);
    expect(done!.ts).toBe(streaming.ts);
    expect(stack.slack.botMessages(SLACK.channel(4), sent.ts)).toHaveLength(1);
    const { rows } = await stack.database.pool.query<{ content: string }>(
      "SELECT content FROM conversation_messages WHERE role = 'assistant' AND content LIKE 'part0%'",
    );
    expect(rows).toEqual([{ content: full }]);
  }, 60_000);

  it('closes the stream left open when the worker died after storing the answer', async () => {
    const chunks = Array.from({ length: 8 }, (_, i) => `stored${i} `);
    const full = chunks.join('');
    stack.chutes.script({ chunks, chunkDelayMs: 100 });
    // The stream's stop never reaches Slack: the worker dies while it waits.
    stack.slack.methodDelayMs['chat.stopStream'] = 20_000;
    try {
      const sent = stack.slack.sendMention({
        channel: SLACK.channel(6),
        user: SLACK.ann.id,
        text: 'store then crash',
      });
      await stack.slack.waitFor(
        async () => {
          const { rows } = await stack.database.pool.query(
            "SELECT 1 FROM conversation_messages WHERE role = 'assistant' AND content = $1",
            [full],
          );
          return rows.length > 0 || undefined;
        },
        15_000,
        'the answer stored',
      );
      await stack.service.kill();
      stack.slack.methodDelayMs['chat.stopStream'] = 0;
      expect(stack.slack.botMessages(SLACK.channel(6), sent.ts)[0]!.streaming).toBe('streaming');
      stack.service = await stack.startService();
      const [done] = await slackReplies(SLACK.channel(6), sent.ts, (t) => t === full, 30_000);
      expect(stack.slack.botMessages(SLACK.channel(6), sent.ts)).toEqual([done]);
      expect(
        chatRequests().filter((r) => JSON.stringify(r.body).includes('store then crash')),
      ).toHaveLength(1);
    } finally {
      stack.slack.methodDelayMs['chat.stopStream'] = 0;
    }
  }, 60_000);
});
