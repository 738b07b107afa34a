/** An error answered in Discord's JSON error shape. */
export class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export interface FieldError {
  path: (string | number)[];
  code: string;
  message: string;
}

/** Discord nests field errors by path and puts the leaves under `_errors`. */
export function invalidFormBody(fields: FieldError[]): DiscordError {
  const errors: Record<string, unknown> = {};
  for (const field of fields) {
    let node = errors;
    for (const key of field.path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    const list = (node['_errors'] ??= []) as unknown[];
    list.push({ code: field.code, message: field.message });
  }
  return new DiscordError(400, 50035, 'Invalid Form Body', errors);
}

export function maxLength(path: (string | number)[], max: number): FieldError {
  return { path, code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
}

export const Errors = {
  unauthorized: () => new DiscordError(401, 0, '401: Unauthorized'),
  notFound: () => new DiscordError(404, 0, '404: Not Found'),
  methodNotAllowed: () => new DiscordError(405, 0, '405: Method Not Allowed'),
  unknownChannel: () => new DiscordError(404, 10003, 'Unknown Channel'),
  unknownMessage: () => new DiscordError(404, 10008, 'Unknown Message'),
  unknownUser: () => new DiscordError(404, 10013, 'Unknown User'),
  unknownWebhook: () => new DiscordError(404, 10015, 'Unknown Webhook'),
  unknownApplication: () => new DiscordError(404, 10002, 'Unknown Application'),
  unknownGuild: () => new DiscordError(404, 10004, 'Unknown Guild'),
  unknownInteraction: () => new DiscordError(404, 10062, 'Unknown interaction'),
  tooLarge: () => new DiscordError(413, 40005, 'Request entity too large'),
  alreadyAcknowledged: () =>
    new DiscordError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => new DiscordError(403, 50001, 'Missing Access'),
  cannotEditOthers: () =>
    new DiscordError(403, 50005, 'Cannot edit a message authored by another user'),
  emptyMessage: () => new DiscordError(400, 50006, 'Cannot send an empty message'),
  missingPermissions: () => new DiscordError(403, 50013, 'Missing Permissions'),
  invalidWebhookToken: () => new DiscordError(401, 50027, 'Invalid Webhook Token'),
  invalidJson: () => new DiscordError(400, 50109, 'The request body contains invalid JSON.'),
};
