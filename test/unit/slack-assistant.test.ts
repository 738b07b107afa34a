import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUGGESTED_PROMPTS,
  suggestedPrompts,
} from '../../src/core/settings/suggested-prompts.js';
import type { WebClient } from '@slack/web-api';
import { SlackAssistant, threadTitle } from '../../src/platforms/slack/assistant.js';
import { SLACK_LIMITS } from '../../src/platforms/slack/surface.js';

describe('suggestedPrompts', () => {
  it('reads up to four `|`-separated prompts, blanks dropped, long titles cut', () => {
    expect(suggestedPrompts(DEFAULT_SUGGESTED_PROMPTS)).toHaveLength(4);
    expect(suggestedPrompts(' a |  | b\n c | d | e ')).toEqual([
      { title: 'a', message: 'a' },
      { title: 'b c', message: 'b c' },
      { title: 'd', message: 'd' },
      { title: 'e', message: 'e' },
    ]);
    const long = 'word '.repeat(30).trim();
    const [prompt] = suggestedPrompts(long);
    expect(prompt!.message).toBe(long);
    expect(prompt!.title).toHaveLength(60);
    expect(prompt!.title.endsWith('…')).toBe(true);
  });

  it('offers none for off, none or nothing', () => {
    for (const value of ['off', ' NONE ', '', ' | '])
      expect(suggestedPrompts(value), value).toEqual([]);
  });
});

describe('threadTitle', () => {
  it('is the question on one line, cut at a word past 80 characters', () => {
    expect(threadTitle('  How do\n tides work?  ')).toBe('How do tides work?');
    const title = threadTitle(`${'tide '.repeat(30)}end`);
    expect(title.length).toBeLessThanOrEqual(80);
    expect(title).toMatch(/^tide( tide)*…$/);
  });
});

describe('a started assistant thread', () => {
  it('is offered the default prompts when the workspace settings cannot be read', async () => {
    const offered: unknown[] = [];
    const warned: string[] = [];
    const client = {
      assistant: {
        threads: {
          setSuggestedPrompts: async (args: unknown) => {
            offered.push(args);
            return { ok: true };
          },
        },
      },
    } as unknown as WebClient;
    const assistant = new SlackAssistant({
      client: () => client,
      surface: { platform: 'slack', limits: SLACK_LIMITS },
      budget: { tryTake: async () => 0 },
      settings: { get: () => Promise.reject(new Error('database away')) },
      log: { warn: (_details, message) => void warned.push(message) },
    });
    await assistant.started(
      { assistant_thread: { user_id: 'U1', channel_id: 'D1', thread_ts: '1.2' } },
      'T1',
    );
    expect(offered).toEqual([
      expect.objectContaining({
        channel_id: 'D1',
        thread_ts: '1.2',
        prompts: suggestedPrompts(DEFAULT_SUGGESTED_PROMPTS),
      }),
    ]);
    expect(warned).toEqual(['offering the default suggested prompts']);
  });
});
