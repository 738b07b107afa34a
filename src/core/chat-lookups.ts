/** What a chat job looks up before it asks the model. */
import { contextLengthOf } from './history-fit.js';
import { settingsChannel, type ChatJob } from './jobs.js';
import type { HistoryView } from './ports.js';
import { tokenCounter } from './token-count.js';
import type { ChatJobDeps } from './chat-job-deps.js';

/**
 * What an answer needs besides the question: the settings, the names, the
 * history, and what it takes to fit the history to the model.
 */
export async function lookUp(job: ChatJob, deps: ChatJobDeps) {
  const read = deps.settings.get(job.platform, job.tenantId, settingsChannel(job));
  const [settings, named, history, contextLength, count] = await Promise.all([
    read,
    withNames(job, deps),
    deps.store.history(
      job.platform,
      job.conversationKey,
      deps.history.maxMessages,
      historyView(job),
    ),
    read.then((settings) => contextLengthOf(settings.model, deps.history)),
    tokenCounter(),
  ]);
  return { settings, named, history, contextLength, count };
}

/**
 * What a question of a shared conversation sees of it: what was stored when
 * it arrived, plus its author's own exchanges (undefined: strict order, all).
 */
function historyView(job: ChatJob): HistoryView | undefined {
  if (job.regenerates)
    return {
      arrivedAt: job.arrivedAt ?? 0,
      authorId: job.author.id,
      before: job.regenerates.askedAt,
    };
  return job.shared && job.arrivedAt !== undefined
    ? { arrivedAt: job.arrivedAt, authorId: job.author.id }
    : undefined;
}

/**
 * Names the people the gateway left as ids (it makes no platform call before
 * acknowledging an event): the author, and `@<id>` in the text. Best effort:
 * whoever cannot be looked up keeps their id.
 */
async function withNames(job: ChatJob, deps: ChatJobDeps): Promise<ChatJob> {
  const surface = deps.surface(job.platform, job.tenantId);
  if (!job.unnamed?.length || !surface.names) return job;
  let names: ReadonlyMap<string, string>;
  try {
    names = await surface.names(job.tenantId, job.unnamed);
  } catch (error) {
    deps.log.warn({ err: error }, 'could not look up the names in a question');
    return job;
  }
  let text = job.text;
  for (const [id, name] of names) {
    const mention = new RegExp(`@${id.replace(/\W/g, '\\$&')}(?!\\w)`, 'g');
    text = text.replace(mention, () => `@${name}`);
  }
  const { unnamed: _named, ...rest } = job;
  return {
    ...rest,
    text,
    author: { ...job.author, name: names.get(job.author.id) ?? job.author.name },
  };
}
