import type { FakeContext } from './context.js';
import { DiscordError, Errors, invalidFormBody, maxLength, type FieldError } from './errors.js';
import { ok, param, type Route, type RouteRequest } from './http.js';
import { Perm, has } from './permissions.js';
import { snowflake } from './snowflake.js';
import type { FakeState } from './state.js';
import type { StoredCommand } from './types.js';

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const GLOBAL = /^\/applications\/(\d+)\/commands$/;
const GUILD = /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/;

type Json = Record<string, unknown>;

/** Discord's option rules: names like command names, 25 at most, required before optional. */
function checkOptions(options: unknown, path: (string | number)[], errors: FieldError[]): void {
  if (options === undefined || options === null) return;
  if (!Array.isArray(options)) {
    errors.push({ path, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    return;
  }
  if (options.length > 25) errors.push(maxLength(path, 25));
  let sawOptional = false;
  (options as Json[]).forEach((o, i) => {
    const name = String(o['name'] ?? '');
    if (!NAME.test(name) || name !== name.toLowerCase()) {
      errors.push({
        path: [...path, i, 'name'],
        code: 'APPLICATION_COMMAND_INVALID_NAME',
        message: 'Command name is invalid',
      });
    }
    const desc = String(o['description'] ?? '');
    if (desc.length < 1 || desc.length > 100) {
      errors.push({
        path: [...path, i, 'description'],
        code: 'BASE_TYPE_BAD_LENGTH',
        message: 'Must be between 1 and 100 in length.',
      });
    }
    if (o['required'] === true && sawOptional) {
      errors.push({
        path: [...path, i, 'required'],
        code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        message: 'Required options must be placed before non-required options',
      });
    }
    if (o['required'] !== true) sawOptional = true;
    if (Array.isArray(o['choices']) && o['choices'].length > 25) {
      errors.push(maxLength([...path, i, 'choices'], 25));
    }
    // Subcommands (1) and groups (2) may not be "required" and carry nested options.
    if (o['type'] === 1 || o['type'] === 2) sawOptional = false;
    checkOptions(o['options'], [...path, i, 'options'], errors);
  });
}

function checkCommand(c: Json, i: number, errors: FieldError[]): void {
  const type = typeof c['type'] === 'number' ? c['type'] : 1;
  const name = String(c['name'] ?? '');
  const chatInput = type === 1;
  if (!NAME.test(name) || (chatInput && name !== name.toLowerCase())) {
    errors.push({
      path: [i, 'name'],
      code: 'APPLICATION_COMMAND_INVALID_NAME',
      message: 'Command name is invalid',
    });
  }
  const desc = String(c['description'] ?? '');
  if (chatInput && (desc.length < 1 || desc.length > 100)) {
    errors.push({
      path: [i, 'description'],
      code: 'BASE_TYPE_BAD_LENGTH',
      message: 'Must be between 1 and 100 in length.',
    });
  }
  const dmp = c['default_member_permissions'];
  if (dmp !== undefined && dmp !== null && !/^\d+$/.test(String(dmp))) {
    errors.push({
      path: [i, 'default_member_permissions'],
      code: 'BASE_TYPE_NUMBER',
      message: 'Value is not a valid number.',
    });
  }
  checkOptions(c['options'], [i, 'options'], errors);
}

function store(
  state: FakeState,
  list: StoredCommand[],
  body: Json,
  guildId?: string,
): StoredCommand {
  const type = typeof body['type'] === 'number' ? body['type'] : 1;
  const previous = list.find((c) => c.name === body['name'] && c.type === type);
  const dmp = body['default_member_permissions'];
  return {
    ...body,
    // Overwriting a command with the same name and type keeps its id, as on Discord.
    id: previous?.id ?? snowflake(),
    application_id: state.options.applicationId,
    ...(guildId ? { guild_id: guildId } : {}),
    version: snowflake(),
    type,
    name: String(body['name']),
    description: String(body['description'] ?? ''),
    default_member_permissions: dmp === undefined || dmp === null ? null : String(dmp),
    contexts: (body['contexts'] as number[] | null | undefined) ?? null,
    integration_types: (body['integration_types'] as number[] | undefined) ?? [0],
    nsfw: body['nsfw'] === true,
  };
}

/**
 * Why Discord would not offer this command to that member there, or undefined.
 * default_member_permissions "0" means administrators only.
 */
export function unavailableReason(
  cmd: StoredCommand,
  where: { guildId?: string; memberPermissions: bigint },
): string | undefined {
  const contexts = cmd.contexts ?? (cmd['dm_permission'] === false ? [0] : [0, 1, 2]);
  if (!contexts.includes(where.guildId ? 0 : 1)) return `not offered in this context`;
  const dmp = cmd.default_member_permissions;
  if (!where.guildId || dmp === null) return undefined;
  const needed = BigInt(dmp);
  const allowed =
    needed === 0n
      ? has(where.memberPermissions, Perm.Administrator)
      : has(where.memberPermissions, needed);
  return allowed ? undefined : `hidden by default_member_permissions ${dmp}`;
}

export function commandRoutes({ state }: FakeContext): Route[] {
  const ownApp = (req: RouteRequest): void => {
    if (param(req, 0) !== state.options.applicationId) {
      throw new DiscordError(
        403,
        20012,
        'You are not authorized to perform this action on this application',
      );
    }
  };
  const listFor = (req: RouteRequest): { list: StoredCommand[]; guildId?: string } => {
    ownApp(req);
    if (req.params.length < 2) return { list: state.commands };
    const guildId = param(req, 1);
    if (!state.guilds.has(guildId)) throw Errors.missingAccess();
    let list = state.guildCommands.get(guildId);
    if (!list) state.guildCommands.set(guildId, (list = []));
    return { list, guildId };
  };
  const overwrite = async (req: RouteRequest) => {
    const { list, guildId } = listFor(req);
    const { json } = await req.payload();
    // parsePayload hands JSON arrays through as they are.
    if (!Array.isArray(json)) {
      throw invalidFormBody([{ path: [], code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }]);
    }
    const commands = json as Json[];
    const errors: FieldError[] = [];
    commands.forEach((c, i) => checkCommand(c, i, errors));
    const seen = new Set<string>();
    commands.forEach((c, i) => {
      const key = `${String(c['type'] ?? 1)}:${String(c['name'])}`;
      if (seen.has(key)) {
        errors.push({
          path: [i, 'name'],
          code: 'APPLICATION_COMMANDS_DUPLICATE_NAME',
          message: 'Application command names must be unique',
        });
      }
      seen.add(key);
    });
    if (commands.filter((c) => (c['type'] ?? 1) === 1).length > 100)
      errors.push(maxLength([], 100));
    if (errors.length) throw invalidFormBody(errors);
    const stored = commands.map((c) => store(state, list, c, guildId));
    list.splice(0, list.length, ...stored);
    return ok(stored);
  };
  const upsert = async (req: RouteRequest) => {
    const { list, guildId } = listFor(req);
    const { json } = await req.payload();
    const errors: FieldError[] = [];
    checkCommand(json, 0, errors);
    if (errors.length) throw invalidFormBody(errors.map((e) => ({ ...e, path: e.path.slice(1) })));
    const cmd = store(state, list, json, guildId);
    const at = list.findIndex((c) => c.id === cmd.id);
    if (at >= 0) list[at] = cmd;
    else list.push(cmd);
    return { status: at >= 0 ? 200 : 201, body: cmd };
  };
  return [GLOBAL, GUILD].flatMap((pattern): Route[] => [
    { method: 'GET', pattern, auth: 'bot', handle: (req) => ok(listFor(req).list) },
    { method: 'PUT', pattern, auth: 'bot', handle: overwrite },
    { method: 'POST', pattern, auth: 'bot', handle: upsert },
  ]);
}

export function findCommand(
  state: FakeState,
  name: string,
  guildId: string | undefined,
): StoredCommand | undefined {
  const local = guildId ? state.guildCommands.get(guildId) : undefined;
  return (
    local?.find((c) => c.name === name && c.type === 1) ??
    state.commands.find((c) => c.name === name && c.type === 1)
  );
}
