/**
 * The path Slack posts events and slash commands to (the manifest's request
 * URL); a module of its own, so the start-up summary names it without loading Bolt.
 */
export const SLACK_EVENTS_PATH = '/slack/events';
