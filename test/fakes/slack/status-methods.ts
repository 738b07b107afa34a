import type { FakeContext, MethodTable } from './context.js';
import { fail } from './errors.js';

/** assistant.threads.setStatus: the "is thinking…" line under a thread. */
export function statusMethods(ctx: FakeContext): MethodTable {
  const { state } = ctx;
  return {
    'assistant.threads.setStatus': {
      auth: 'bot',
      handle({ params, now }) {
        const ch = state.requireChannel(params.text('channel_id'));
        const asked = params.text('thread_ts');
        if (asked === undefined) throw fail('invalid_thread_ts');
        const threadTs = state.threadRoot(ch.id, asked, 'invalid_thread_ts');
        const status = params.str('status');
        if (status === undefined) throw fail('invalid_arguments', 'status is required');
        const loading = params.json('loading_messages', 'invalid_arguments');
        if (loading !== undefined && (!Array.isArray(loading) || loading.length > 10)) {
          throw fail('invalid_arguments', 'loading_messages: at most 10 strings');
        }
        state.setStatus({
          channel: ch.id,
          threadTs,
          status,
          ...(loading ? { loadingMessages: loading as string[] } : {}),
          at: now,
        });
        return {};
      },
    },
  };
}
