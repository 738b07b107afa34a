/**
 * Discord's refusals at start-up, as the one line an operator needs: which
 * variable is wrong and where in the developer portal to find the right one.
 */
import { DiscordAPIError } from '@discordjs/rest';
import { CredentialError } from '../../errors.js';

const TOKEN_FIX =
  'reset the bot token in the developer portal (Bot → Reset Token) and set DISCORD_TOKEN to it';

/** A refused DISCORD_TOKEN: a 401 from the REST API, or discord.js's TokenInvalid at login. */
export function discordTokenError(error: unknown): CredentialError | undefined {
  const status =
    error instanceof DiscordAPIError && error.status === 401
      ? '401'
      : (error as { code?: unknown } | undefined)?.code === 'TokenInvalid'
        ? 'invalid token'
        : undefined;
  if (!status) return undefined;
  return new CredentialError(
    'DISCORD_TOKEN',
    `DISCORD_TOKEN was refused by Discord (${status}): ${TOKEN_FIX}`,
    { cause: error },
  );
}

/**
 * Why registering the slash commands failed, when it was a credential: the
 * token (401), or an application id that is not the token's application
 * (403 Missing Access / not authorized, 404 Unknown Application).
 */
export function discordRegistrationError(
  error: unknown,
  applicationId: string,
): CredentialError | undefined {
  const token = discordTokenError(error);
  if (token) return token;
  if (!(error instanceof DiscordAPIError) || (error.status !== 403 && error.status !== 404))
    return undefined;
  return new CredentialError(
    'DISCORD_APPLICATION_ID',
    `DISCORD_APPLICATION_ID ${applicationId} was refused by Discord (${error.status} ${error.message}): ` +
      "it must be the Application ID of DISCORD_TOKEN's bot (developer portal → General Information → Application ID)",
    { cause: error },
  );
}

/**
 * Discord closed the gateway with 4014 (Disallowed intent(s)): the bot asks
 * for the Message Content intent while its switch in the portal is off.
 */
export function discordIntentError(): CredentialError {
  return new CredentialError(
    'DISCORD_MESSAGE_CONTENT',
    'DISCORD_MESSAGE_CONTENT is on but Discord refused the Message Content intent (gateway close 4014, Disallowed intent(s)): ' +
      'switch on Message Content Intent in the developer portal (Bot → Privileged Gateway Intents), ' +
      'or set DISCORD_MESSAGE_CONTENT=false to run without it (the bot then reads only mentions and DMs)',
  );
}
