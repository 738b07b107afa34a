import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  manifestSlashCommands,
  parseSlashCommand,
} from '../../src/platforms/slack/command-text.js';
import { manifestTexts } from '../support/slack-manifest.js';

function parsed(command: string, text: string) {
  const result = parseSlashCommand(command, text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.message}`);
  return result;
}

function refused(command: string, text: string): string {
  const result = parseSlashCommand(command, text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail`);
  return result.message;
}

const imagine = (text: string): Record<string, string> => parsed('/imagine', text).options;
const imagineError = (text: string) => refused('/imagine', text);
const settings = (text: string) => {
  const { name, options } = parsed('/settings', text);
  return { command: name, options };
};
const settingsError = (text: string) => refused('/settings', text);

const IMAGINE_USAGE =
  'Usage: `/imagine <prompt> [--size 1024x768] [--seed 7] [--no <what to avoid>]`';
const SETTINGS_USAGE =
  'Usage: `/settings show [#channel|here] | set [#channel|here] <key> <value> | reset [#channel|here]`';

describe('parseImagineText: prompt and flags', () => {
  it('takes the whole text as the prompt when there are no flags', () => {
    expect(imagine('a red fox in the snow')).toEqual({ prompt: 'a red fox in the snow' });
  });

  it('reads flags after, before and between prompt words', () => {
    const expected = {
      prompt: 'a red fox in the snow',
      size: '1024x768',
      seed: '7',
      negative_prompt: 'blur',
    };
    expect(imagine('a red fox in the snow --size 1024x768 --seed 7 --no blur')).toEqual(expected);
    expect(imagine('--seed 7 --size 1024x768 a red fox in the snow --no blur')).toEqual(expected);
    expect(imagine('a red fox --size 1024x768 in the --seed 7 snow --no blur')).toEqual(expected);
  });

  it('collapses extra spaces in the prompt', () => {
    expect(imagine('   a   red\tfox \n in   snow   --seed   3  ')).toEqual({
      prompt: 'a red fox in snow',
      seed: '3',
    });
  });

  it('reads --flag=value', () => {
    expect(imagine('a fox --size=512x512 --seed=42 --no=text')).toEqual({
      prompt: 'a fox',
      size: '512x512',
      seed: '42',
      negative_prompt: 'text',
    });
  });

  it('passes the seed on as typed: the core checks it', () => {
    expect(imagine('a fox --seed -1').seed).toBe('-1');
    expect(imagine('a fox --seed 99999999999').seed).toBe('99999999999');
  });

  it('normalises how the size is written, not which sizes exist', () => {
    expect(imagine('a fox --size 1024X768').size).toBe('1024x768');
    expect(imagine('a fox --size 1024×768').size).toBe('1024x768');
    expect(imagine('a fox --size "1024 x 768"').size).toBe('1024x768');
    expect(imagine('a fox --size 3x3').size).toBe('3x3');
  });

  it('accepts the dashes macOS and iOS make of --', () => {
    expect(imagine('a fox —size 512x512 —no blur')).toEqual({
      prompt: 'a fox',
      size: '512x512',
      negative_prompt: 'blur',
    });
    expect(imagine('a fox –seed 5').seed).toBe('5');
  });

  it('leaves dashes that are not flags in the prompt', () => {
    expect(imagine('a fox — at dawn - misty -x')).toEqual({ prompt: 'a fox — at dawn - misty -x' });
  });

  it('reads flag names case-insensitively', () => {
    expect(imagine('a fox --SIZE 512x512').size).toBe('512x512');
  });
});

describe('parseImagineText: --no', () => {
  it('takes the words up to the next flag', () => {
    expect(imagine('a fox --no blurry low quality --seed 1')).toEqual({
      prompt: 'a fox',
      negative_prompt: 'blurry low quality',
      seed: '1',
    });
    expect(imagine('a fox --no blurry, low quality, watermark')).toEqual({
      prompt: 'a fox',
      negative_prompt: 'blurry, low quality, watermark',
    });
  });

  it('accepts --negative and --negative-prompt as synonyms', () => {
    expect(imagine('a fox --negative blur').negative_prompt).toBe('blur');
    expect(imagine('a fox --negative-prompt blur').negative_prompt).toBe('blur');
    expect(imagine('a fox --negative_prompt blur').negative_prompt).toBe('blur');
  });

  it('takes one quoted value and gives the words after it back to the prompt', () => {
    expect(imagine('--no "text, watermark" a fox')).toEqual({
      prompt: 'a fox',
      negative_prompt: 'text, watermark',
    });
    expect(imagine('--no=“text, watermark” a fox')).toEqual({
      prompt: 'a fox',
      negative_prompt: 'text, watermark',
    });
  });

  it('keeps a flag inside quotes as text', () => {
    expect(imagine('a fox --no "--size words"').negative_prompt).toBe('--size words');
  });
});

describe('parseImagineText: quotes', () => {
  it('strips quotes around a prompt that is one quoted span', () => {
    expect(imagine('"a fox --seed 3 in snow"')).toEqual({ prompt: 'a fox --seed 3 in snow' });
    expect(imagine('“a fox in snow” --seed 3')).toEqual({ prompt: 'a fox in snow', seed: '3' });
    expect(imagine('„ein Fuchs“')).toEqual({ prompt: 'ein Fuchs' });
  });

  it('keeps quotes that are part of the prompt', () => {
    expect(imagine('a sign saying "hello world" --seed 3')).toEqual({
      prompt: 'a sign saying "hello world"',
      seed: '3',
    });
    expect(imagine('a 12" record')).toEqual({ prompt: 'a 12" record' });
    expect(imagine('"unclosed quote here')).toEqual({ prompt: '"unclosed quote here' });
  });
});

describe('parseImagineText: Slack escapes and unicode', () => {
  it('unescapes what Slack escaped, once', () => {
    expect(imagine('cats &amp; dogs &lt;3 --no &amp;lt;').prompt).toBe('cats & dogs <3');
    expect(imagine('cats --no &amp;lt;').negative_prompt).toBe('&lt;');
  });

  it('reads mentions and links should escaping be switched on', () => {
    expect(imagine('<@U1|ann> as a knight in <#C1|general>').prompt).toBe(
      '@ann as a knight in #general',
    );
  });

  it('passes unicode prompts through', () => {
    expect(imagine('富士山と桜 🌸 --no 人')).toEqual({
      prompt: '富士山と桜 🌸',
      negative_prompt: '人',
    });
  });
});

describe('parseImagineText: errors', () => {
  it('names an unknown option and shows the usage on one line', () => {
    const message = imagineError('a fox --foo bar');
    expect(message).toBe(`⚠️ Unknown option \`--foo\`. ${IMAGINE_USAGE}`);
    expect(message).not.toContain('\n');
    expect(imagineError('a fox --style=anime')).toContain('Unknown option `--style`.');
    expect(imagineError('a fox —sleeping')).toContain('Unknown option `—sleeping`.');
  });

  it('refuses a flag without its value', () => {
    expect(imagineError('a fox --seed')).toBe(`⚠️ \`--seed\` needs a value. ${IMAGINE_USAGE}`);
    expect(imagineError('a fox --seed --size 512x512')).toContain('`--seed` needs a value.');
    expect(imagineError('a fox --size=')).toContain('`--size` needs a value.');
    expect(imagineError('a fox --no')).toContain('`--no` needs a value.');
    expect(imagineError('a fox --no --seed 3')).toContain('`--no` needs a value.');
    expect(imagineError('a fox --no ""')).toContain('`--no` needs a value.');
  });

  it('refuses a repeated flag, synonyms included', () => {
    expect(imagineError('a fox --size 512x512 --size 1024x1024')).toBe(
      `⚠️ \`--size\` is given twice. ${IMAGINE_USAGE}`,
    );
    expect(imagineError('a fox --seed 1 --seed=2')).toContain('`--seed` is given twice.');
    expect(imagineError('a fox --no blur --negative text')).toContain('`--no` is given twice.');
  });

  it('refuses an empty prompt', () => {
    expect(imagineError('')).toBe(`⚠️ The prompt is missing. ${IMAGINE_USAGE}`);
    expect(imagineError('   ')).toContain('The prompt is missing.');
    expect(imagineError('--size 512x512 --seed 3')).toContain('The prompt is missing.');
    expect(imagineError('--no blur and text')).toContain('The prompt is missing.');
    expect(imagineError('""')).toContain('The prompt is missing.');
  });

  it('answers --help with the usage alone', () => {
    expect(imagineError('--help')).toBe(`⚠️ ${IMAGINE_USAGE}`);
  });

  it('cannot be broken out of inline code by what it echoes', () => {
    const message = imagineError('a fox --f`oo`bar' + 'x'.repeat(80));
    expect(message.match(/`/g)).toHaveLength(4);
    expect(message.length).toBeLessThan(200);
  });
});

describe('parseSettingsText: show and reset', () => {
  it('shows with no text or with show', () => {
    expect(settings('')).toEqual({ command: 'settings.show', options: {} });
    expect(settings('   ')).toEqual({ command: 'settings.show', options: {} });
    expect(settings('show')).toEqual({ command: 'settings.show', options: {} });
    expect(settings('  SHOW ')).toEqual({ command: 'settings.show', options: {} });
  });

  it('resets', () => {
    expect(settings('reset')).toEqual({ command: 'settings.reset', options: {} });
    expect(settings('Reset')).toEqual({ command: 'settings.reset', options: {} });
  });

  it('refuses text after show or reset that names no channel rather than guess', () => {
    expect(settingsError('show model')).toBe(
      `⚠️ \`model\` is not a channel: pick one from the list as you type #, or write \`here\`. ${SETTINGS_USAGE}`,
    );
    expect(settingsError('reset temperature')).toContain('`temperature` is not a channel');
    // Typed by hand, a name is not a link: Slack sent no id to act on.
    expect(settingsError('show #general')).toContain('`#general` is not a channel');
    expect(settingsError('reset <#C1|general> model')).toContain('is not a channel');
  });

  it('reads a channel after show or reset: its link, or here', () => {
    expect(settings('show <#C0123ABCD|general>')).toEqual({
      command: 'settings.show',
      options: { channel: '<#C0123ABCD>' },
    });
    expect(settings('show <#C0123ABCD>').options).toEqual({ channel: '<#C0123ABCD>' });
    // Newer clients send an empty label.
    expect(settings('reset <#C0123ABCD|>')).toEqual({
      command: 'settings.reset',
      options: { channel: '<#C0123ABCD>' },
    });
    expect(settings('reset HERE').options).toEqual({ channel: 'HERE' });
    expect(settings('reset').options).toEqual({});
  });

  it('names an unknown subcommand and lists the three', () => {
    const message = settingsError('sett temperature 0.5');
    expect(message).toBe(`⚠️ Unknown subcommand \`sett\`. ${SETTINGS_USAGE}`);
    for (const part of ['show', 'set [#channel|here] <key> <value>', 'reset'])
      expect(message).toContain(part);
    expect(message).not.toContain('\n');
  });
});

describe('parseSettingsText: set <key> <value…>', () => {
  it('takes the rest of the text as the value', () => {
    expect(settings('set system_prompt You are a pirate.')).toEqual({
      command: 'settings.set',
      options: { system_prompt: 'You are a pirate.' },
    });
    expect(settings('set temperature 0.5')).toEqual({
      command: 'settings.set',
      options: { temperature: '0.5' },
    });
  });

  it('keeps the inner whitespace of a multi-line value', () => {
    expect(settings('set system_prompt  Be brief.\n\nAnswer in French.  ').options).toEqual({
      system_prompt: 'Be brief.\n\nAnswer in French.',
    });
  });

  it('strips quotes around the whole value only', () => {
    expect(settings('set system_prompt "You are a pirate."').options).toEqual({
      system_prompt: 'You are a pirate.',
    });
    expect(settings('set system_prompt “Sei un pirata.”').options).toEqual({
      system_prompt: 'Sei un pirata.',
    });
    expect(settings('set system_prompt Say "arr" often').options).toEqual({
      system_prompt: 'Say "arr" often',
    });
  });

  it('reads key = value and key: value', () => {
    expect(settings('set temperature = 0.5').options).toEqual({ temperature: '0.5' });
    expect(settings('set temperature: 0.5').options).toEqual({ temperature: '0.5' });
    expect(settings('set model= deepseek-ai/DeepSeek-V3').options).toEqual({
      model: 'deepseek-ai/DeepSeek-V3',
    });
  });

  it('lower-cases keys and reads - as _, leaving which keys exist to the core', () => {
    expect(settings('set Top-P 0.9').options).toEqual({ top_p: '0.9' });
    expect(settings('set SET banana').options).toEqual({ set: 'banana' });
    expect(settings('set "system_prompt" hi').options).toEqual({ system_prompt: 'hi' });
  });

  it('unescapes what Slack escaped', () => {
    expect(settings('set system_prompt Use &lt;b&gt; &amp; &lt;i&gt;').options).toEqual({
      system_prompt: 'Use <b> & <i>',
    });
  });
});

describe('parseSettingsText: set for one channel', () => {
  it('reads the channel before the pairs, as a link or here', () => {
    expect(settings('set <#C0123ABCD|general> model=a/b temperature=0.2')).toEqual({
      command: 'settings.set',
      options: { channel: '<#C0123ABCD>', model: 'a/b', temperature: '0.2' },
    });
    expect(settings('set here model=a/b').options).toEqual({ channel: 'here', model: 'a/b' });
    expect(settings('set here system_prompt You are a pirate.').options).toEqual({
      channel: 'here',
      system_prompt: 'You are a pirate.',
    });
  });

  it('reads the channel as a pair too', () => {
    expect(settings('set model=a/b channel=<#C0123ABCD|general>').options).toEqual({
      model: 'a/b',
      channel: '<#C0123ABCD>',
    });
    expect(settings('set channel=here temperature=1').options).toEqual({
      channel: 'here',
      temperature: '1',
    });
  });

  it('refuses a channel given twice, or one that is no channel', () => {
    expect(settingsError('set here channel=<#C1> model=a')).toContain('`channel` is given twice');
    expect(settingsError('set channel=#general model=a')).toContain('`#general` is not a channel');
    expect(settingsError('set here')).toContain('`set` needs a key and a value');
    expect(settingsError('set #general model=a')).toContain('`#general` is not a channel');
  });

  it('keeps channel links in a value as links, and leaves /imagine prompts as text', () => {
    expect(settings('set system_prompt Point people to <#C9|help>.').options).toEqual({
      system_prompt: 'Point people to <#C9>.',
    });
    expect(imagine('a poster for <#C9|help>')).toEqual({ prompt: 'a poster for #help' });
  });
});

describe('parseSettingsText: set key=value…', () => {
  it('reads several pairs', () => {
    expect(settings('set temperature=0.5 top_p=0.9 max-tokens=512')).toEqual({
      command: 'settings.set',
      options: { temperature: '0.5', top_p: '0.9', max_tokens: '512' },
    });
  });

  it('reads quoted values with spaces, straight or curly', () => {
    expect(settings('set system_prompt="You are a pirate." temperature=1').options).toEqual({
      system_prompt: 'You are a pirate.',
      temperature: '1',
    });
    expect(settings('set system_prompt=“Be brief, be kind.”').options).toEqual({
      system_prompt: 'Be brief, be kind.',
    });
  });

  it('keeps = inside a value', () => {
    expect(settings('set system_prompt="a=b"').options).toEqual({ system_prompt: 'a=b' });
  });

  it('asks for quotes when a value has spaces', () => {
    expect(settingsError('set system_prompt=You are a pirate.')).toBe(
      `⚠️ Put quotes around a value with spaces: \`key="…"\`. ${SETTINGS_USAGE}`,
    );
  });

  it('refuses a repeated key and an empty value', () => {
    expect(settingsError('set top_p=0.9 top-p=0.8')).toContain('`top_p` is given twice.');
    expect(settingsError('set temperature=0.5 top_p=""')).toContain('`top_p` needs a value.');
  });
});

describe('parseSettingsText: set errors', () => {
  it('needs a key and a value', () => {
    const expected = `⚠️ \`set\` needs a key and a value. ${SETTINGS_USAGE}`;
    expect(settingsError('set')).toBe(expected);
    expect(settingsError('set   ')).toBe(expected);
    expect(settingsError('set temperature')).toBe(expected);
    expect(settingsError('set temperature =')).toBe(expected);
    expect(settingsError('set system_prompt ""')).toBe(expected);
  });
});

interface ManifestCommand {
  command: string;
  url?: string;
  description: string;
  usage_hint?: string;
  should_escape?: boolean;
}

interface Manifest {
  display_information: { name: string };
  features: {
    bot_user: { display_name: string; always_online?: boolean };
    slash_commands: ManifestCommand[];
    assistant_view?: unknown;
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    socket_mode_enabled: boolean;
    org_deploy_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

const manifest = JSON.parse(
  readFileSync(new URL('../../src/platforms/slack/manifest.json', import.meta.url), 'utf8'),
) as Manifest;

/** Slack's own commands, which an app cannot register: a manifest naming one is refused. */
const SLACK_BUILT_INS = ['me', 'status', 'away', 'dnd', 'shrug', 'remind', 'msg', 'feed', 'who'];

describe('manifest.json and the command definitions', () => {
  it('declares the commands the definitions render, descriptions and usage hints included', async () => {
    const { committed, rendered } = await manifestTexts();
    // On failure: npx tsx test/support/slack-manifest.ts rewrites the file.
    expect(committed).toBe(rendered);
    expect(manifest.features.slash_commands).toEqual(
      manifestSlashCommands('https://YOUR-HOST/slack/events'),
    );
    expect(manifest.features.slash_commands.map((entry) => entry.command)).toEqual([
      '/imagine',
      '/settings',
      '/forget',
      '/usage',
      '/help',
    ]);
  });

  it("says what today's Slack users read", () => {
    const byName = new Map(manifest.features.slash_commands.map((e) => [e.command, e]));
    expect(byName.get('/imagine')).toMatchObject({
      description: 'Generate an image with a Chutes image model',
      usage_hint: '<prompt> [--size 1024x768] [--seed 7] [--no <what to avoid>]',
    });
    expect(byName.get('/settings')).toMatchObject({
      description: "Show or change this workspace's model and generation settings",
      usage_hint:
        'show [#channel|here] | set [#channel|here] <key> <value> | reset [#channel|here]',
    });
    expect(byName.get('/forget')?.description).toBe(
      "Clear the bot's stored history of this channel",
    );
    expect(byName.get('/usage')?.description).toBe(
      "This workspace's answers, tokens and images for 1, 7 and 30 days (admins)",
    );
    expect(byName.get('/forget')).not.toHaveProperty('usage_hint');
  });

  it('fits Slack limits: command names, and hints present only when non-empty', () => {
    for (const entry of manifest.features.slash_commands) {
      expect(entry.command).toMatch(/^\/[a-z0-9_-]{1,31}$/);
      expect(SLACK_BUILT_INS).not.toContain(entry.command.slice(1));
      expect(entry.description.length).toBeGreaterThan(0);
      if (entry.usage_hint !== undefined) expect(entry.usage_hint.length).toBeGreaterThan(0);
      expect(entry.should_escape).toBe(false);
    }
  });

  it('sends commands and events to the one request URL', () => {
    const url = manifest.settings.event_subscriptions.request_url;
    expect(url).toBe('https://YOUR-HOST/slack/events');
    for (const entry of manifest.features.slash_commands) expect(entry.url).toBe(url);
  });

  it('is the HTTP-mode, single-workspace app the README describes', () => {
    expect(manifest.display_information.name).toBe('chutes-bot');
    expect(manifest.features.bot_user).toEqual({ display_name: 'chutes-bot', always_online: true });
    // The assistant pane is on; its prompts come per thread from `suggested_prompts`, not from here.
    expect(manifest.features.assistant_view).toEqual({
      assistant_description: expect.any(String),
    });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.org_deploy_enabled).toBe(false);
    expect(manifest.settings.token_rotation_enabled).toBe(false);
  });
});
