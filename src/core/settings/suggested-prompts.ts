/**
 * The `suggested_prompts` setting: the prompts a Slack assistant thread offers
 * when it starts, written as one line with `|` between prompts (a Slack slash
 * command is one line). Slack shows at most four, each a title on a button
 * that sends its message (docs.slack.dev assistant.threads.setSuggestedPrompts).
 */

/** What a workspace that set nothing is offered. */
export const DEFAULT_SUGGESTED_PROMPTS =
  'Explain a concept simply | Help me write a message | Brainstorm ideas with me | Summarise a text I paste';

/** Slack shows up to four suggested prompts. */
export const MAX_SUGGESTED_PROMPTS = 4;
/** A title longer than this is cut: it is a button's label. */
const MAX_TITLE_CHARS = 60;

export interface SuggestedPrompt {
  readonly title: string;
  readonly message: string;
}

/**
 * The prompts a setting's value offers: `|`-separated, blanks dropped, the
 * first four. `off` or `none` (any case) offers none.
 */
export function suggestedPrompts(value: string): SuggestedPrompt[] {
  if (/^\s*(off|none)\s*$/i.test(value)) return [];
  return value
    .split('|')
    .map((prompt) => prompt.replace(/\s+/g, ' ').trim())
    .filter((prompt) => prompt !== '')
    .slice(0, MAX_SUGGESTED_PROMPTS)
    .map((message) => ({
      title:
        message.length > MAX_TITLE_CHARS ? `${message.slice(0, MAX_TITLE_CHARS - 1)}…` : message,
      message,
    }));
}
