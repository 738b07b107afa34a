/**
 * What the Slack app needs, by what the code does: each Web API method it
 * calls (with @slack/bolt's own calls) and each bot event it handles, with
 * the bot scope Slack's reference asks for (docs.slack.dev/reference/methods/
 * <method>, "Scopes"; docs.slack.dev/reference/events/<event>, "Required
 * scopes"). slack-scopes.test.ts checks manifest.json against this table: a
 * scope nothing needs, or a call without its scope, fails it. A new call
 * needs a row here first.
 */

/** Web API method → the bot scopes it needs. */
export const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  // No scope: any valid token. Bolt calls it too (App init), as does the gateway at start.
  'auth.test': [],
  // Socket mode only, with the app-level token (its `connections:write` is not a bot scope).
  'apps.connections.open': [],
  // OAuth mode: token refreshes, with the client id and secret (the install's exchange is @slack/oauth's).
  'oauth.v2.access': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.startStream': ['chat:write'],
  'chat.appendStream': ['chat:write'],
  'chat.stopStream': ['chat:write'],
  // chat:write since the 2026-03-05 changelog ("set status scope update"), so it works in
  // every thread; assistant:write (below) would also be accepted.
  'assistant.threads.setStatus': ['chat:write'],
  // Assistant threads (the AI-app split view); the scope also shows the app's assistant pane.
  'assistant.threads.setTitle': ['assistant:write'],
  'assistant.threads.setSuggestedPrompts': ['assistant:write'],
  'users.info': ['users:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

/** WebClient helpers the code calls, by the methods they call. */
export const HELPER_METHODS: Readonly<Record<string, readonly string[]>> = {
  filesUploadV2: ['files.getUploadURLExternal', 'files.completeUploadExternal'],
  // OAuth mode's per-workspace client: reads the token from the store, calls nothing.
  currentToken: [],
};

/** Bot event → why the gateway needs it, and its scope. */
export const EVENT_SCOPES: Readonly<Record<string, { scope: string; why: string }>> = {
  app_mention: { scope: 'app_mentions:read', why: 'mentions in channels and threads' },
  // No scope: every app receives them (OAuth mode removes the installation).
  app_uninstalled: { scope: '', why: 'the app was removed from a workspace' },
  tokens_revoked: { scope: '', why: "a workspace revoked the bot's token" },
  assistant_thread_started: {
    scope: 'assistant:write',
    why: 'a thread opened in the assistant pane: suggested prompts, and its title',
  },
  'message.im': { scope: 'im:history', why: 'DMs, answered without a mention' },
  'message.channels': { scope: 'channels:history', why: 'follow-ups in public channel threads' },
  'message.groups': { scope: 'groups:history', why: 'follow-ups in private channel threads' },
  'message.mpim': { scope: 'mpim:history', why: 'follow-ups in group DM threads' },
};

/** Slash commands (`features.slash_commands`) need this scope. */
export const COMMANDS_SCOPE = 'commands';

/**
 * What the code fetches outside the Web API, with the bot token, and the scope
 * that needs: shared files' `url_private` (docs.slack.dev, "Working with files":
 * downloading needs `files:read`; without it Slack answers its sign-in page).
 * `marker` is what the source of the download says, found by the test.
 */
export const DOWNLOAD_SCOPES: Readonly<
  Record<string, { scope: string; marker: string; why: string }>
> = {
  url_private: {
    scope: 'files:read',
    marker: 'url_private',
    why: 'files shared with a question, read for the model',
  },
};
