/**
 * The assistant thread methods of Slack's AI-app split view
 * (docs.slack.dev/reference/methods/assistant.threads.setTitle and
 * .setSuggestedPrompts): both need the `assistant:write` bot scope, a
 * `channel_id`, and (in the assistant view this app uses) the thread's
 * `thread_ts`; at most four prompts, each with a `title` and a `message`.
 * Tier 4 (100+ a minute) per workspace.
 */
import type { FakeContext, MethodTable } from './context.js';
import { fail, SlackApiError } from './errors.js';
import type { Params } from './params.js';

/** The scope every assistant.threads.* method here needs. */
export const ASSISTANT_SCOPE = 'assistant:write';
const MAX_PROMPTS = 4;

export interface TitleRecord {
  channel: string;
  threadTs: string;
  title: string;
  at: number;
}

export interface PromptsRecord {
  channel: string;
  threadTs: string;
  title?: string;
  prompts: { title: string; message: string }[];
  at: number;
}

export function assistantMethods(ctx: FakeContext): MethodTable {
  const { state } = ctx;
  const scoped = () => {
    const scopes = ctx.options.subscriptions.scopes;
    if (!scopes.includes(ASSISTANT_SCOPE))
      throw new SlackApiError('missing_scope', {
        needed: ASSISTANT_SCOPE,
        provided: scopes.join(','),
      });
  };
  const thread = (params: Params) => {
    const ch = state.requireChannel(params.text('channel_id'));
    const asked = params.text('thread_ts');
    if (asked === undefined) throw fail('invalid_thread_ts');
    return { channel: ch.id, threadTs: state.threadRoot(ch.id, asked, 'invalid_thread_ts') };
  };
  return {
    'assistant.threads.setTitle': {
      auth: 'bot',
      handle({ params, now }) {
        scoped();
        const where = thread(params);
        const title = params.str('title');
        if (title === undefined || title.trim() === '')
          throw fail('invalid_arguments', 'title is required');
        state.titles.push({ ...where, title, at: now });
        return {};
      },
    },
    'assistant.threads.setSuggestedPrompts': {
      auth: 'bot',
      handle({ params, now }) {
        scoped();
        const where = thread(params);
        const prompts = params.json('prompts', 'invalid_arguments');
        if (!Array.isArray(prompts) || prompts.length === 0 || prompts.length > MAX_PROMPTS)
          throw fail('invalid_arguments', `prompts: 1 to ${MAX_PROMPTS} prompts`);
        for (const prompt of prompts as unknown[]) {
          const p = prompt as { title?: unknown; message?: unknown } | null;
          if (
            typeof p?.title !== 'string' ||
            typeof p.message !== 'string' ||
            p.title === '' ||
            p.message === ''
          )
            throw fail('invalid_arguments', 'each prompt needs a title and a message');
        }
        const title = params.str('title');
        state.prompts.push({
          ...where,
          ...(title !== undefined ? { title } : {}),
          prompts: prompts as PromptsRecord['prompts'],
          at: now,
        });
        return {};
      },
    },
  };
}
