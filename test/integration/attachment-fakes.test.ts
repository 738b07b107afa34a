/**
 * The fakes are as strict about attachments as the real services: Chutes
 * refuses more than 8 images, images to a text model and data URIs that hold
 * no image, and lists input_modalities; Slack serves `url_private` only to the
 * bot token of an app with `files:read`, sending anyone else to its sign-in
 * page, which the service's download reads as a refusal.
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ChutesChatClient } from '../../src/chutes/chat-client.js';
import { fetchSlackFile } from '../../src/platforms/slack/files.js';
import { startFakeChutes, type FakeChutes } from '../fakes/chutes/index.js';
import { manifestSubscriptions, startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';

const KEY = 'cpk_fake_vision';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0)) await close();
});

async function chutes(): Promise<FakeChutes> {
  const fake = await startFakeChutes({
    apiKey: KEY,
    models: ['seer', 'blind'],
    inputModalities: { seer: ['text', 'image'], blind: ['text'] },
  });
  cleanups.push(() => fake.close());
  return fake;
}

async function post(fake: FakeChutes, body: unknown) {
  const res = await fetch(`${fake.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const png = async () =>
  `data:image/png;base64,${(
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .png()
      .toBuffer()
  ).toString('base64')}`;

const question = (images: string[], model = 'seer') => ({
  model,
  stream: true,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what are these?' },
        ...images.map((url) => ({ type: 'image_url', image_url: { url } })),
      ],
    },
  ],
});

describe('the fake Chutes and image parts', () => {
  it('lists input_modalities, which the client reads', async () => {
    const fake = await chutes();
    const client = new ChutesChatClient({ baseUrl: fake.baseUrl, apiKey: KEY });
    const infos = await client.listModelInfos();
    expect(infos.map((m) => [m.id, m.inputModalities])).toEqual([
      ['seer', ['text', 'image']],
      ['blind', ['text']],
    ]);
  });

  it('answers 8 images and refuses a 9th', async () => {
    const fake = await chutes();
    const image = await png();
    const eight = await post(fake, question(Array.from({ length: 8 }, () => image)));
    expect(eight.status).toBe(200);
    expect(eight.text).toContain('data: [DONE]');
    const nine = await post(fake, question(Array.from({ length: 9 }, () => image)));
    expect(nine.status).toBe(400);
    expect(nine.text).toContain('At most 8 images');
  });

  it('refuses images to a text model, a data URI without an image, and parts off the schema', async () => {
    const fake = await chutes();
    expect((await post(fake, question([await png()], 'blind'))).status).toBe(400);
    const notPng = `data:image/png;base64,${Buffer.from('hello').toString('base64')}`;
    expect((await post(fake, question([notPng]))).status).toBe(400);
    const svg = `data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}`;
    expect((await post(fake, question([svg]))).status).toBe(400);
    const extra = question([await png()]);
    (extra.messages[0]!.content[1] as Record<string, unknown>).name = 'x';
    expect((await post(fake, extra)).status).toBe(400);
  });
});

describe("the fake Slack's private file links", () => {
  const TOKEN = 'xoxb-files-test';
  async function slack(scopes?: string[]): Promise<FakeSlack> {
    const subs = manifestSubscriptions();
    const fake = await startFakeSlack({
      botToken: TOKEN,
      users: [{ id: 'U0ANN00001', name: 'ann' }],
      channels: [{ id: 'D0000000001', name: 'ann-dm', user: 'U0ANN00001' }],
      subscriptions: scopes ? { ...subs, scopes } : subs,
    });
    cleanups.push(() => fake.close());
    return fake;
  }
  const share = (fake: FakeSlack) => {
    fake.addUserMessage({
      channel: 'D0000000001',
      user: 'U0ANN00001',
      text: 'here',
      files: [{ name: 'a.txt', bytes: Buffer.from('the file') }],
    });
    const [file] = fake.sharedFiles;
    const url = `${fake.baseUrl}/files-pri/${fake.options.teamId}-${file!.id}/a.txt`;
    return { url, name: 'a.txt', contentType: 'text/plain' };
  };

  it('serves the bytes to the bot token, url_private by way of a presigned CDN link', async () => {
    const fake = await slack();
    const file = share(fake);
    const direct = { ...file, url: file.url.replace(/\/a\.txt$/, '/download/a.txt') };
    for (const link of [file, direct]) {
      const res = await fetchSlackFile(link, TOKEN, fake.apiUrl, AbortSignal.timeout(5_000));
      expect(await res.text()).toBe('the file');
    }
    const [shared] = fake.sharedFiles;
    // url_private: the token to Slack, then the CDN link; url_private_download: the bytes.
    expect(shared!.downloads.map((d) => [d.served, d.edge === true])).toEqual([
      [true, false],
      [true, true],
      [true, false],
    ]);
  });

  it('sends a wrong token, and an app without files:read, to its sign-in page', async () => {
    const fake = await slack();
    const file = share(fake);
    const plain = await fetch(file.url, { redirect: 'manual' });
    expect(plain.status).toBe(302);
    expect(plain.headers.get('location')).toContain('/?redir=');
    const followed = await fetch(file.url);
    expect(followed.headers.get('content-type')).toContain('text/html');
    await expect(
      fetchSlackFile(file, 'xoxb-wrong', fake.apiUrl, AbortSignal.timeout(5_000)),
    ).rejects.toThrow(/files:read/);

    const noScope = await slack(manifestSubscriptions().scopes.filter((s) => s !== 'files:read'));
    const other = share(noScope);
    await expect(
      fetchSlackFile(other, TOKEN, noScope.apiUrl, AbortSignal.timeout(5_000)),
    ).rejects.toThrow(/files:read/);
  });

  it('never sends the token to a host that is not Slack', async () => {
    const fake = await slack();
    const file = { url: 'https://example.com/a.txt', name: 'a.txt' };
    await expect(
      fetchSlackFile(file, TOKEN, fake.apiUrl, AbortSignal.timeout(5_000)),
    ).rejects.toThrow(/not a Slack file link/);
  });

  it("follows Slack's redirects with the token only where it belongs, and no others", async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const hops: Record<string, Response> = {
      'https://files.slack.com/files-pri/T1-F1/a.png': new Response(null, {
        status: 302,
        headers: { location: 'https://files-origin.slack.com/files-pri/T1-F1/a.png' },
      }),
      'https://files-origin.slack.com/files-pri/T1-F1/a.png': new Response(null, {
        status: 302,
        headers: { location: 'https://a.slack-edge.com/F1/a.png?sig=1' },
      }),
      'https://a.slack-edge.com/F1/a.png?sig=1': new Response('png bytes'),
      'https://files.slack.com/files-pri/T1-F2/b.png': new Response(null, {
        status: 302,
        headers: { location: 'https://evil.example/steal' },
      }),
    };
    const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
      const url = String(input);
      seen.push({ url, auth: new Headers(init?.headers).get('authorization') });
      return hops[url] ?? new Response('not found', { status: 404 });
    }) as typeof fetch;
    const api = 'https://slack.com/api/';
    const got = await fetchSlackFile(
      { url: 'https://files.slack.com/files-pri/T1-F1/a.png', name: 'a.png' },
      TOKEN,
      api,
      AbortSignal.timeout(5_000),
      fetchImpl,
    );
    expect(await got.text()).toBe('png bytes');
    expect(seen).toEqual([
      { url: 'https://files.slack.com/files-pri/T1-F1/a.png', auth: `Bearer ${TOKEN}` },
      { url: 'https://files-origin.slack.com/files-pri/T1-F1/a.png', auth: `Bearer ${TOKEN}` },
      { url: 'https://a.slack-edge.com/F1/a.png?sig=1', auth: null },
    ]);
    await expect(
      fetchSlackFile(
        { url: 'https://files.slack.com/files-pri/T1-F2/b.png', name: 'b.png' },
        TOKEN,
        api,
        AbortSignal.timeout(5_000),
        fetchImpl,
      ),
    ).rejects.toThrow(/not Slack's/);
    expect(seen.some((s) => s.url.startsWith('https://evil.example'))).toBe(false);
  });
});
