/**
 * The core writes neutral Markdown. Messages take it as `markdown_text`, which
 * Slack renders itself; the places that take only Slack's mrkdwn (slash
 * command responses, a file's comment) get it converted by slackify-markdown.
 */
import slackifyMarkdown from 'slackify-markdown';

export function toMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).trimEnd();
}
