/**
 * The command definitions (src/core/commands/) and what is derived from
 * them: the job's command names, Discord's registration, Slack's text form,
 * the check of every option, and /help for each kind of person.
 */
import { describe, expect, it } from 'vitest';
import { handleCommandJob } from '../../src/core/command-job.js';
import type { CommandDeps } from '../../src/core/commands/definition.js';
import {
  actionsOf,
  defineCommand,
  defineGroup,
  describeFor,
  type CommandStyle,
} from '../../src/core/commands/definition.js';
import { COMMAND_LIST, COMMANDS, ORDERED_COMMANDS } from '../../src/core/commands/index.js';
import { everyone } from '../../src/core/commands/preconditions.js';
import { parseCommandText, textUsage } from '../../src/core/commands/text-form.js';
import { parseImagineOptions } from '../../src/core/imagine-job.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { CommandJob } from '../../src/core/jobs.js';
import { effectiveSettings, SETTING_KEYS, validateChanges } from '../../src/core/settings/index.js';
import { toInteractionRef } from '../../src/core/surface.js';
import { settingErrorsText } from '../../src/core/user-messages.js';
import { DISCORD_STYLE, discordCommands } from '../../src/platforms/discord/commands.js';
import { parseSlashCommand, SLACK_STYLE } from '../../src/platforms/slack/command-text.js';
import { commandJobSchema } from '../../src/queue/jobs.js';
import { TEST_LIMITS } from '../support/memory-surface.js';

const STYLES = [DISCORD_STYLE, SLACK_STYLE];

describe('the command list', () => {
  it('gives the job schema its command names, and /forget its turn', () => {
    expect(COMMANDS).toEqual([
      'imagine',
      'settings.show',
      'settings.set',
      'settings.reset',
      'forget',
      'usage',
      'help',
    ]);
    expect(ORDERED_COMMANDS).toEqual(['forget']);
    const job = commandJob('help', {}, false);
    expect(commandJobSchema.parse(job)).toEqual(job);
    expect(commandJobSchema.safeParse({ ...job, command: 'nope' }).success).toBe(false);
  });

  it('fits both platforms: names, descriptions, option order and text spellings', () => {
    const name = /^[a-z_-]{1,32}$/;
    for (const command of COMMAND_LIST) {
      expect(command.name).toMatch(name);
      for (const style of STYLES) {
        const text = describeFor(command, style.words);
        expect(text.length, `${command.name} on ${style.form}`).toBeLessThanOrEqual(100);
        expect(text).not.toMatch(/[{}]/);
      }
      for (const { action } of actionsOf(command)) {
        expect(action.name).toMatch(name);
        for (const style of STYLES)
          expect(describeFor(action, style.words).length).toBeLessThanOrEqual(100);
        const options = action.options ?? [];
        expect(options.length).toBeLessThanOrEqual(25);
        const firstOptional = options.findIndex((o) => !o.required);
        if (firstOptional >= 0)
          expect(options.slice(firstOptional).some((o) => o.required)).toBe(false);
        expect(options.filter((o) => o.rest).length).toBeLessThanOrEqual(1);
        const spellings = options.flatMap((o) =>
          o.rest ? [] : [o.flag ?? o.name, ...(o.aliases ?? [])],
        );
        expect(new Set(spellings).size).toBe(spellings.length);
        for (const option of options) {
          expect(option.name).toMatch(name);
          expect(option.description.length).toBeGreaterThan(0);
          expect(option.description.length).toBeLessThanOrEqual(100);
        }
      }
    }
  });
});

describe("Discord's registration, derived", () => {
  const body = discordCommands() as unknown as Record<string, unknown>[];
  const byName = new Map(body.map((c) => [c['name'], c]));

  it('registers every command, in the list order, in servers and DMs', () => {
    expect(body.map((c) => c['name'])).toEqual(['imagine', 'settings', 'forget', 'usage', 'help']);
    for (const command of body) {
      expect(command).toMatchObject({ type: 1, contexts: [0, 1] });
      expect(command).not.toHaveProperty('default_member_permissions');
    }
  });

  it('declares /imagine with its types, limits and choices', () => {
    expect(byName.get('imagine')).toEqual({
      type: 1,
      name: 'imagine',
      description: 'Generate an image with a Chutes image model',
      contexts: [0, 1],
      options: [
        { type: 3, name: 'prompt', description: 'What to draw', required: true, max_length: 1000 },
        {
          type: 3,
          name: 'size',
          description: 'Width x height in pixels (default 1024x1024)',
          choices: ['1024x1024', '1024x768', '768x1024', '512x512'].map((s) => ({
            name: s,
            value: s,
          })),
        },
        {
          type: 4,
          name: 'seed',
          description: 'Same seed and prompt give the same image',
          min_value: 0,
          max_value: 4_294_967_295,
        },
        {
          type: 3,
          name: 'negative_prompt',
          description: 'What the image should not contain',
          max_length: 1000,
        },
      ],
    });
  });

  it('declares /settings show|set|reset, every setting an option of set', () => {
    const settings = byName.get('settings') as { options: Record<string, unknown>[] };
    expect(settings.options.map((o) => [o['type'], o['name'], o['description']])).toEqual([
      [1, 'show', 'Show the settings in force here, and where each comes from'],
      [1, 'set', 'Change one or more settings, everywhere or in one channel (Manage Server)'],
      [
        1,
        'reset',
        'Go back to the defaults, or a channel back to the shared settings (Manage Server)',
      ],
    ]);
    const set = settings.options[1] as { options: Record<string, unknown>[] };
    expect(set.options.map((o) => o['name'])).toEqual(['channel', ...SETTING_KEYS]);
    // Each subcommand takes a channel: text, announcement and forum channels (threads have theirs).
    for (const sub of settings.options as { options: Record<string, unknown>[] }[]) {
      expect(sub.options[0]).toMatchObject({ type: 7, name: 'channel', channel_types: [0, 5, 15] });
      expect(sub.options[0]).not.toHaveProperty('required');
    }
    const option = (key: string) => set.options.find((o) => o['name'] === key);
    expect(option('model')).toMatchObject({ type: 3, max_length: 200, autocomplete: true });
    expect(option('image_model')).not.toHaveProperty('autocomplete');
    expect(option('temperature')).toMatchObject({ type: 10, min_value: 0, max_value: 2 });
    expect(option('top_k')).toMatchObject({ type: 4, min_value: -1, max_value: 1000 });
    expect(option('forget_admin_only')).toEqual({
      type: 5,
      name: 'forget_admin_only',
      description: 'Whether only admins may use /forget',
    });
    for (const o of set.options) expect(o).not.toHaveProperty('required');
    expect(settings.options[0]).toHaveProperty('options', [expect.objectContaining({ type: 7 })]);
  });

  it('says who may run what, in Discord words', () => {
    expect(byName.get('forget')).toEqual({
      type: 1,
      name: 'forget',
      description: "Clear the bot's stored history of this channel or thread",
      contexts: [0, 1],
    });
    expect(byName.get('usage')?.['description']).toBe(
      "This server's answers, tokens and images for 1, 7 and 30 days (Manage Server)",
    );
    expect(byName.get('help')).toEqual({
      type: 1,
      name: 'help',
      description: 'List the commands you can use here',
      contexts: [0, 1],
    });
  });
});

describe("the text form's general rules (a made-up command)", () => {
  const draw = defineCommand({
    name: 'draw',
    description: 'Draw',
    options: [
      {
        name: 'colour',
        type: 'choice',
        description: 'c',
        choices: ['red', 'blue'],
        required: true,
      },
      { name: 'note', type: 'string', description: 'n', maxLength: 10, hint: '<words>' },
    ],
    precondition: everyone,
    run: async () => '',
  });
  const box = defineGroup({
    name: 'box',
    description: 'Box',
    subcommands: [
      defineCommand({
        name: 'open',
        description: 'o',
        precondition: everyone,
        run: async () => '',
      }),
    ],
  });

  it('renders the usage line from the options', () => {
    expect(textUsage(draw)).toBe('/draw --colour <colour> [--note <words>]');
    expect(textUsage(box)).toBe('/box open');
  });

  it('names a required flag that is missing, and words no option takes', () => {
    expect(parseCommandText(draw, '--note hi')).toEqual({
      ok: false,
      error: { code: 'needs_value', typed: '--colour' },
    });
    expect(parseCommandText(draw, 'red')).toEqual({
      ok: false,
      error: { code: 'unknown_flag', typed: 'red' },
    });
    expect(parseCommandText(draw, '--colour red --note two words')).toEqual({
      ok: true,
      name: 'draw',
      options: { colour: 'red', note: 'two words' },
    });
  });

  it('answers a group without a default subcommand, typed alone, with its usage', () => {
    expect(parseCommandText(box, '')).toEqual({ ok: false, error: { code: 'help', typed: '' } });
  });
});

describe('Slack commands without options', () => {
  it('ignore what follows them, as before; /settings reset takes only a channel', () => {
    expect(parseSlashCommand('/help', 'me please --now')).toMatchObject({
      ok: true,
      name: 'help',
      options: {},
    });
    expect(parseSlashCommand('/usage', 'today')).toMatchObject({ ok: true, name: 'usage' });
    expect(parseSlashCommand('/settings', 'reset temperature')).toEqual({
      ok: false,
      message:
        '⚠️ `temperature` is not a channel: pick one from the list as you type #, or write `here`.' +
        ' Usage: `/settings show [#channel|here] | set [#channel|here] <key> <value> | reset [#channel|here]`',
    });
    expect(parseSlashCommand('/nope', '')).toEqual({
      ok: false,
      message: 'Unknown command /nope.',
    });
  });
});

describe('one set of words for a bad Slack flag and a bad Discord option', () => {
  it('/imagine: the value typed on Slack and the one Discord sends are refused alike', () => {
    const slack = parseSlashCommand('/imagine', 'a fox --seed -1 --size 3x3');
    if (!slack.ok) throw new Error(slack.message);
    const fromSlack = parseImagineOptions(slack.options);
    const fromDiscord = parseImagineOptions({ prompt: 'a fox', seed: -1, size: '3x3' });
    expect(fromSlack).toEqual(fromDiscord);
    expect(fromDiscord).toEqual({
      ok: false,
      message:
        '⚠️ size must be one of 1024x1024, 1024x768, 768x1024, 512x512, not `3x3`.' +
        ' seed must be a whole number from 0 to 4294967295, not `-1`.',
    });
  });

  it('/settings set: the same', () => {
    const slack = parseSlashCommand('/settings', 'set temperature=5 top_p=0');
    if (!slack.ok) throw new Error(slack.message);
    const fromSlack = validateChanges(slack.options);
    const fromDiscord = validateChanges({ temperature: 5, top_p: 0 });
    if (fromSlack.ok || fromDiscord.ok) throw new Error('expected errors');
    expect(settingErrorsText(fromSlack.errors)).toBe(settingErrorsText(fromDiscord.errors));
  });
});

describe('/help', () => {
  it('lists what a member may run on Discord, with Discord usage lines', async () => {
    expect(await help(DISCORD_STYLE, false)).toBe(
      [
        '**Commands you can use here**',
        '• `/imagine prompt:<prompt> [size:1024x768] [seed:7] [negative_prompt:<what to avoid>]` — Generate an image with a Chutes image model',
        '• `/settings show [channel:<channel>]` — Show the settings in force here, and where each comes from',
        "• `/forget` — Clear the bot's stored history of this channel or thread",
        '• `/help` — List the commands you can use here',
      ].join('\n'),
    );
  });

  it('shows admins the admin commands, on Slack with Slack usage lines', async () => {
    expect(await help(SLACK_STYLE, true)).toBe(
      [
        '**Commands you can use here**',
        '• `/imagine <prompt> [--size 1024x768] [--seed 7] [--no <what to avoid>]` — Generate an image with a Chutes image model',
        '• `/settings show [#channel|here]` — Show the settings in force here, and where each comes from',
        '• `/settings set [#channel|here] <key> <value>` — Change one or more settings, everywhere or in one channel (admins)',
        '• `/settings reset [#channel|here]` — Go back to the defaults, or a channel back to the shared settings (admins)',
        "• `/forget` — Clear the bot's stored history of this channel",
        "• `/usage` — This workspace's answers, tokens and images for 1, 7 and 30 days (admins)",
        '• `/help` — List the commands you can use here',
      ].join('\n'),
    );
    const discordAdmin = await help(DISCORD_STYLE, true);
    expect(discordAdmin).toContain(
      '• `/settings set [channel:<channel>] <key>:<value> …` — Change one or more settings, everywhere or in one channel (Manage Server)',
    );
  });

  it('leaves /forget out for members where admins kept it for themselves', async () => {
    const member = await help(SLACK_STYLE, false, true);
    expect(member).not.toContain('/forget');
    expect(member).toContain('/settings show');
    expect(await help(SLACK_STYLE, true, true)).toContain('/forget');
  });
});

describe('running a command through its definition', () => {
  it('answers a refused precondition with its sentence, before looking at options', async () => {
    const { replies, deps } = fakes(DISCORD_STYLE);
    await handleCommandJob(commandJob('usage', { bogus: 1 }, false), ctx, deps);
    expect(replies).toEqual(['🔒 Only admins may see the usage.']);
  });

  it('refuses options a command does not have, in the shared words', async () => {
    const { replies, deps } = fakes(DISCORD_STYLE);
    await handleCommandJob(commandJob('help', { verbose: true }, false), ctx, deps);
    expect(replies).toEqual(['⚠️ There is no option `verbose`; it takes no options.']);
  });

  it('hands /imagine to the handler its definition names, when given its deps', async () => {
    const { replies, deps } = fakes(DISCORD_STYLE);
    await handleCommandJob(commandJob('imagine', { prompt: 'a cat', seed: -3 }, false), ctx, {
      ...deps,
      imagine: {
        interactions: deps.interactions,
        images: { generateImage: () => Promise.reject(new Error('not reached')) },
        settings: deps.settings,
        usage: { recordUsage: async () => undefined },
        log: deps.log,
      },
    });
    expect(replies).toEqual(['⚠️ seed must be a whole number from 0 to 4294967295, not `-3`.']);
  });
});

const ctx = { jobId: 'j1', finalAttempt: true, progress: [], saveProgress: async () => undefined };

function commandJob(
  command: CommandJob['command'],
  options: CommandJob['options'],
  isAdmin: boolean,
): CommandJob {
  return {
    v: 1,
    platform: 'memory',
    tenantId: 't1',
    channelId: 'c1',
    conversationKey: encodeConversationKey({ channelId: 'c1' }),
    interaction: toInteractionRef({ token: 'x' }),
    actor: { id: 'u1', name: 'Ann', isAdmin },
    command,
    options,
    receivedAt: new Date().toISOString(),
  };
}

function fakes(style: CommandStyle, forgetAdminOnly = false) {
  const replies: string[] = [];
  const deps: CommandDeps = {
    interactions: () => ({
      platform: 'memory',
      limits: TEST_LIMITS,
      adminsAre: 'admins',
      respond: async (_ref, reply) => void replies.push(reply.text),
    }),
    styles: () => style,
    settings: {
      get: async () =>
        effectiveSettings(
          { model: 'm', imageModel: 'i', temperature: 1, maxTokens: 1, systemPrompt: '' },
          { forgetAdminOnly },
        ),
      layers: async () => ({}),
      apply: () => Promise.reject(new Error('not in this test')),
      reset: () => Promise.reject(new Error('not in this test')),
    },
    conversations: { forget: async () => 0 },
    models: { chatModels: async () => [], modelInfos: async () => [] },
    usage: { usageGroups: async () => [], usedSince: async () => ({ tokens: 0, images: 0 }) },
    defaults: { model: 'm', imageModel: 'i', temperature: 1, maxTokens: 1, systemPrompt: '' },
    log: { info: () => undefined, warn: () => undefined },
  };
  return { replies, deps };
}

async function help(style: CommandStyle, isAdmin: boolean, forgetAdminOnly = false) {
  const { replies, deps } = fakes(style, forgetAdminOnly);
  await handleCommandJob(commandJob('help', {}, isAdmin), ctx, deps);
  expect(replies).toHaveLength(1);
  return replies[0];
}
