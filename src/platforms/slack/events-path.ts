/**
 * The paths Slack uses: where it posts events and slash commands (the
 * manifest's request URL), and OAuth mode's install and redirect; a module
 * of its own, so the start-up summary names them without loading Bolt.
 */
export const SLACK_EVENTS_PATH = '/slack/events';

/** OAuth mode's install page ("Add to Slack") and the redirect Slack sends installers back to. */
export const SLACK_INSTALL_PATH = '/slack/install';
export const SLACK_REDIRECT_PATH = '/slack/oauth_redirect';
