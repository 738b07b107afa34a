/**
 * Files attached to questions, end to end on the fakes: an image attached on
 * Discord and a file shared on Slack reach the model as image parts holding
 * the exact downscaled bytes; a text file and a PDF reach it as text; a model
 * that cannot see images hands the question to vision_model or says so; a file
 * over its cap gets one sentence and is not downloaded. The fake Chutes lists
 * model-a as taking images and model-b as text only.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage } from '../../src/core/attachments/image.js';
import { decodeDataUri } from '../fakes/chutes/image-parts.js';
import {
  ANN,
  BOT,
  channel,
  GUILD,
  interactionAnswer,
  SLACK,
  startStack,
  type Stack,
} from './stack.js';

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type ChatBody = { model: string; messages: { role: string; content: string | Part[] }[] };

const ADMIN = String(0x20 | 0x400 | 0x800);
const SUBCOMMAND = 1;
const STRING = 3;
const CHANNEL = 7;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    slack: {},
    chutes: { inputModalities: { 'model-a': ['text', 'image'], 'model-b': ['text'] } },
  });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.rateLimited()).toEqual([]);
});

const chatRequests = () =>
  stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
const chatBodies = () => chatRequests().map((r) => r.body as ChatBody);

function picture(width: number, height: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const image = sharp({
    create: { width, height, channels: 3, background: { r: 180, g: 40, b: 90 } },
  });
  return (format === 'png' ? image.png() : image.jpeg()).toBuffer();
}

async function pdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([400, 200]);
  page.drawText(text, {
    x: 20,
    y: 100,
    size: 12,
    font: await doc.embedFont(StandardFonts.Helvetica),
  });
  return Buffer.from(await doc.save());
}

/** The image parts of a request's question, decoded. */
function imagesOf(body: ChatBody) {
  const last = body.messages.at(-1)!;
  if (typeof last.content === 'string') return [];
  return last.content.flatMap((p) =>
    p.type === 'image_url' ? [decodeDataUri(p.image_url.url)!] : [],
  );
}

const textOf = (content: string | Part[]) =>
  typeof content === 'string'
    ? content
    : content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');

async function discordAsk(
  channelId: string,
  content: string,
  attachments: { filename: string; contentType?: string; bytes: Buffer }[] = [],
): Promise<{ body: ChatBody; reply: string }> {
  const before = chatBodies().length;
  stack.discord.sendMessage({ channelId, author: ANN, content, mentionsBot: true, attachments });
  const reply = await stack.discord.waitFor(
    () =>
      stack.discord
        .messages(channelId)
        .find((m) => m.author.id === BOT.id && m.content.includes(content))?.content,
    30_000,
    `the answer to "${content}"`,
  );
  expect(chatBodies().length).toBe(before + 1);
  return { body: chatBodies()[before]!, reply };
}

async function settings(options: unknown[]): Promise<string> {
  const sent = stack.discord.sendInteraction({
    name: 'settings',
    options: [{ name: 'set', type: SUBCOMMAND, options }],
    guildId: GUILD,
    channelId: channel(9),
    user: ANN,
    permissions: ADMIN,
  });
  return (await interactionAnswer(stack, sent.id)).original!.content;
}

describe('attachments on Discord', () => {
  it('sends an attached image to a model that sees images, downscaled, as a data URI', async () => {
    const photo = await picture(2048, 1536, 'png');
    const { body } = await discordAsk(channel(1), 'what is in this picture?', [
      { filename: 'photo.png', contentType: 'image/png', bytes: photo },
    ]);
    expect(body.model).toBe('model-a');
    const [sent, ...more] = imagesOf(body);
    expect(more).toEqual([]);
    expect(sent!.mime).toBe('image/png');
    const meta = await sharp(sent!.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 768]);
    expect(sent!.bytes.equals((await prepareImage(photo)).bytes)).toBe(true);
    expect(textOf(body.messages.at(-1)!.content)).toContain('what is in this picture?');
    expect(stack.discord.cdnRequests.map((r) => r.status)).toEqual([200]);

    // The history keeps a note of the image, not its bytes.
    const { body: next } = await discordAsk(channel(1), 'and what colour was it?');
    expect(JSON.stringify(next)).not.toContain('data:image');
    const earlier = next.messages.find((m) =>
      textOf(m.content).includes('what is in this picture?'),
    );
    expect(textOf(earlier!.content)).toContain('[image photo.png was attached here: 1024×768 px');
    expect(stack.discord.cdnRequests).toHaveLength(1);
  });

  it('reads a text file and a PDF into the question, and names what it cannot read', async () => {
    const { body, reply } = await discordAsk(channel(2), 'summarise these files', [
      {
        filename: 'notes.md',
        contentType: 'text/markdown; charset=utf-8',
        bytes: Buffer.from('# Plan\nShip the kiwi release on Friday.'),
      },
      {
        filename: 'report.pdf',
        contentType: 'application/pdf',
        bytes: await pdf('Quarterly revenue was 42 plums.'),
      },
      { filename: 'archive.zip', contentType: 'application/zip', bytes: Buffer.from('PK\x03\x04') },
    ]);
    const question = body.messages.at(-1)!.content;
    expect(typeof question).toBe('string');
    expect(question).toContain('[file notes.md]\n# Plan\nShip the kiwi release on Friday.');
    expect(question).toContain('[file report.pdf]');
    expect(question).toContain('Quarterly revenue was 42 plums.');
    expect(question).not.toContain('PK');
    expect(reply).toContain('`archive.zip` is none of these');
  });

  it('answers from vision_model when the model cannot see images, and says which answered', async () => {
    expect(
      await settings([
        { name: 'channel', type: CHANNEL, value: channel(3) },
        { name: 'model', type: STRING, value: 'model-b' },
        { name: 'vision_model', type: STRING, value: 'model-a' },
      ]),
    ).toContain('Settings updated');
    const photo = await picture(300, 200, 'jpeg');
    const { body, reply } = await discordAsk(channel(3), 'describe it please', [
      { filename: 'cat.jpg', contentType: 'image/jpeg', bytes: photo },
    ]);
    expect(body.model).toBe('model-a');
    const [sent] = imagesOf(body);
    expect(sent!.mime).toBe('image/jpeg');
    expect(sent!.bytes.equals((await prepareImage(photo)).bytes)).toBe(true);
    expect(reply).toContain('Answered by model-a, since model-b cannot see images.');
    // A question without images stays with the channel's model.
    expect((await discordAsk(channel(3), 'just text now')).body.model).toBe('model-b');
  });

  it('says the model cannot see images when no vision_model is set, and answers the text', async () => {
    await settings([
      { name: 'channel', type: CHANNEL, value: channel(4) },
      { name: 'model', type: STRING, value: 'model-b' },
    ]);
    const requestsBefore = stack.discord.cdnRequests.length;
    const { body, reply } = await discordAsk(channel(4), 'what breed is this dog?', [
      { filename: 'dog.png', contentType: 'image/png', bytes: await picture(64, 64, 'png') },
    ]);
    expect(body.model).toBe('model-b');
    const question = body.messages.at(-1)!.content;
    expect(typeof question).toBe('string');
    expect(question).toContain('what breed is this dog?');
    expect(question).toContain(
      '[image dog.png was attached here: the model that answered cannot see images]',
    );
    expect(reply).toContain('model-b cannot see images, so I answered the text only');
    // An image no model will see is not even downloaded.
    expect(stack.discord.cdnRequests.length).toBe(requestsBefore);
  });

  it('refuses a file over its cap in one sentence, without downloading it', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 0x20);
    big.write('%PDF-1.4\n');
    const requestsBefore = stack.discord.cdnRequests.length;
    const { body, reply } = await discordAsk(channel(5), 'read this long report', [
      { filename: 'big.pdf', contentType: 'application/pdf', bytes: big },
    ]);
    expect(reply).toContain('`big.pdf` is larger than 10 MB, the most I read of one PDF');
    expect(textOf(body.messages.at(-1)!.content)).not.toContain('big.pdf');
    expect(stack.discord.cdnRequests.length).toBe(requestsBefore);
  });

  it('says so when a link has expired by the time it is fetched', async () => {
    stack.discord.advanceCdnClock(25 * 60 * 60_000);
    try {
      const { reply } = await discordAsk(channel(6), 'look at this old one', [
        { filename: 'late.png', contentType: 'image/png', bytes: await picture(32, 32, 'png') },
      ]);
      expect(reply).toContain('I could not fetch `late.png` (its link may have expired)');
      expect(stack.discord.cdnRequests.at(-1)!.status).toBe(404);
    } finally {
      stack.discord.advanceCdnClock(-25 * 60 * 60_000);
    }
  });
});

describe('files shared on Slack', () => {
  it('downloads a shared image with the bot token and sends it as an image part', async () => {
    const photo = await picture(3000, 1000, 'jpeg');
    const before = chatBodies().length;
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(1),
      user: SLACK.ann.id,
      text: 'what does this chart show?',
      files: [{ name: 'chart.jpg', bytes: photo }],
    });
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(SLACK.channel(1), sent.ts)
          .some(
            (m) =>
              (m.markdown ?? m.text).includes('what does this chart show?') &&
              m.streaming !== 'streaming',
          ),
      30_000,
      'the Slack answer',
    );
    const body = chatBodies()[before]!;
    expect(body.model).toBe('model-a');
    // Its app_mention and its file_share message event are one question, answered once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(chatBodies().length).toBe(before + 1);
    const [image] = imagesOf(body);
    expect(image!.mime).toBe('image/jpeg');
    const meta = await sharp(image!.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 341]);
    expect(image!.bytes.equals((await prepareImage(photo)).bytes)).toBe(true);
    const [shared] = stack.slack.sharedFiles;
    expect(shared!.downloads.length).toBeGreaterThan(0);
    expect(
      shared!.downloads.every((d) => d.served && d.authorization === `Bearer ${SLACK.botToken}`),
    ).toBe(true);
  });

  it('reads a shared text file into a DM question', async () => {
    const before = chatBodies().length;
    const sent = stack.slack.sendDm({
      channel: SLACK.dm,
      user: SLACK.ann.id,
      text: 'check my csv',
      files: [{ name: 'prices.csv', bytes: Buffer.from('fruit,price\nkiwi,3\nplum,5\n') }],
    });
    await stack.slack.waitFor(() => chatBodies().length > before, 30_000, 'the Chutes request');
    const question = chatBodies()[before]!.messages.at(-1)!.content;
    expect(question).toContain('[file prices.csv]\nfruit,price\nkiwi,3\nplum,5');
    expect(sent.ts).toBeTruthy();
  });
});
