/**
 * Cold models and the models list, end to end on the fakes: a chute with no
 * instance up (503) is answered by the server's fallback model with a note;
 * a used-up balance (402) is not retried, says one sentence and is told to
 * admins once (log, /usage, /metrics); /usage prices the tokens; model
 * choices show prices; a stored model the list dropped is named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allOutput,
  ANN,
  channel,
  GUILD,
  interactionAnswer,
  PERMISSIONS,
  startStack,
  type Stack,
} from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const STRING = 3;
const SUBCOMMAND = 1;

function command(name: string, options: unknown[] = [], permissions = PERMISSIONS.admin) {
  const sent = stack.discord.sendInteraction({
    name,
    options,
    guildId: GUILD,
    channelId: channel(1),
    user: ANN,
    permissions,
  });
  return interactionAnswer(stack, sent.id).then((state) => state.original!.content);
}

const setting = (name: string, value: string) =>
  command('settings', [
    { name: 'set', type: SUBCOMMAND, options: [{ name, type: STRING, value }] },
  ]);

function chatModelsAsked(since: number): string[] {
  return stack.chutes.requests
    .slice(since)
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => (r.body as { model: string }).model);
}

async function ask(channelId: string, text: string, done: (reply: string) => boolean) {
  stack.discord.sendMessage({ channelId, author: ANN, content: text, mentionsBot: true });
  const [reply] = await stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId);
      return mine.length > 0 && done(mine[0]!.content) ? mine : undefined;
    },
    20_000,
    `the answer to "${text}"`,
  );
  return reply!.content;
}

async function metric(name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${stack.service.port}/metrics`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('fallback models and the models list, end to end', () => {
  it('refuses fallback models the list does not hold, and stores nothing', async () => {
    const refused = await setting('fallback_models', 'model-b, no-such-model');
    expect(refused).toContain('Nothing was changed');
    expect(refused).toContain('`no-such-model` is not a Chutes model; fallback_models must be');
    // Models to pick from follow, each with its price and whether it takes images.
    expect(refused).toContain('`model-a` ($0.2/$0.8 per M tokens · text only)');
    const { rows } = await stack.database.pool.query('SELECT fallback_models FROM tenant_settings');
    expect(rows).toEqual([]);
    expect(await setting('fallback_models', 'MODEL-B')).toMatch(
      /fallback_models\*\*: `model-b` _\(server; default: none\)_/,
    );
  });

  it('answers from the fallback when the model has no instance up, and says so', async () => {
    stack.chutes.setModelState('model-a', 'cold');
    const since = stack.chutes.requests.length;
    const reply = await ask(channel(2), 'are you warm?', (t) => t.includes('Answered by'));
    expect(reply).toBe(
      'You said: Ann: are you warm?\n\n_(Answered by `model-b`: `model-a` has no instance running right now.)_',
    );
    // The model once more after a short wait, then the fallback; no retry of the job.
    expect(chatModelsAsked(since)).toEqual(['model-a', 'model-a', 'model-b']);
    const { rows } = await stack.database.pool.query(
      `SELECT model, outcome FROM usage WHERE kind = 'chat'`,
    );
    // Usage counts against the model that answered.
    expect(rows).toEqual([{ model: 'model-b', outcome: 'ok' }]);
    // The history keeps the answer, not the note.
    const stored = await stack.database.pool.query(
      `SELECT content FROM conversation_messages WHERE role = 'assistant'`,
    );
    expect(stored.rows).toEqual([{ content: 'You said: Ann: are you warm?' }]);
    stack.chutes.setModelState('model-a', undefined);
  });

  it('/usage shows the cost of the tokens at the list prices', async () => {
    const usage = await command('usage');
    expect(usage).toMatch(
      /\*\*Last 24 h\*\*: 1 answer, \d+ prompt \+ \d+ completion tokens \(≈ \$\d/,
    );
    expect(usage).toMatch(/`model-b`: 1 answer, .* \(≈ \$/);
    expect(usage).not.toContain('no balance');
  });

  it('a used-up balance is not retried, says one sentence, and admins are told once', async () => {
    stack.chutes.setModelState('model-a', 'no_balance');
    stack.chutes.setModelState('model-b', 'no_balance');
    const since = stack.chutes.requests.length;
    const first = await ask(channel(3), 'pay me', (t) => t.startsWith('⚠️'));
    expect(first).toBe(
      '⚠️ The Chutes account behind this bot has no balance or quota left. An admin needs to top it up.',
    );
    const second = await ask(channel(4), 'pay me again', (t) => t.startsWith('⚠️'));
    expect(second).toBe(first);
    await stack.discord.waitFor(
      async () => (await stack.chatQueue.getFailedCount()) === 2,
      10_000,
      'two failed jobs',
    );
    // One request per question: no quick retry, no fallback, no backoff retry.
    expect(chatModelsAsked(since)).toEqual(['model-a', 'model-a']);
    expect(
      allOutput(stack.service).match(/the account has no balance or quota left \(HTTP 402\)/g),
    ).toHaveLength(1);
    expect(await metric('chutes_bot_chutes_payment_required_total')).toBe(2);
    const usage = await command('usage');
    expect(usage).toContain(
      '⚠️ **Chutes refused 2 times in 30 days because the account has no balance left**',
    );
    stack.chutes.setModelState('model-a', undefined);
    stack.chutes.setModelState('model-b', undefined);
  });

  async function autocomplete(option: string, value: string) {
    const sent = stack.discord.sendInteraction({
      type: 4,
      name: 'settings',
      options: [
        {
          name: 'set',
          type: SUBCOMMAND,
          options: [{ name: option, type: STRING, value, focused: true }],
        },
      ],
      guildId: GUILD,
      channelId: channel(1),
      user: ANN,
      permissions: PERMISSIONS.admin,
    });
    const callback = await sent.callback;
    expect(callback.acknowledged && callback.type).toBe(8);
    return callback.acknowledged ? callback.data.choices : undefined;
  }

  it('offers the models with their price and image input as autocomplete', async () => {
    expect(await autocomplete('model', 'b')).toEqual([
      { name: 'model-b · $0.2/$0.8 per M tokens · text only', value: 'model-b' },
    ]);
    // A list: the last name is completed, the ones before it kept.
    expect(await autocomplete('fallback_models', 'model-b, mod')).toEqual([
      { name: 'model-b, model-a · $0.2/$0.8 per M tokens · text only', value: 'model-b, model-a' },
    ]);
  });

  it('/settings show tells admins, not members, of a stored model the list dropped', async () => {
    await stack.database.pool.query(
      `UPDATE tenant_settings SET model = 'retired/model' WHERE channel_id = ''`,
    );
    const admin = await command('settings', [{ name: 'show', type: SUBCOMMAND, options: [] }]);
    expect(admin).toContain(
      '⚠️ `retired/model` (**model**) is no longer in the Chutes models list',
    );
    const member = await command(
      'settings',
      [{ name: 'show', type: SUBCOMMAND, options: [] }],
      PERMISSIONS.member,
    );
    expect(member).toContain('retired/model');
    expect(member).not.toContain('no longer in the Chutes models list');
  });
});
