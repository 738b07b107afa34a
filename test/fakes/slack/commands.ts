import { addBotMessage } from './bot-messages.js';
import type { FakeContext } from './context.js';
import type { Deliverer, DeliveryOptions, DeliveryResult } from './delivery.js';
import { slackId, triggerId } from './ids.js';
import type { CommandResponse } from './types.js';

export interface RunCommandInput extends DeliveryOptions {
  /** With the slash: `/imagine`. */
  command: string;
  text?: string;
  user: string;
  channel: string;
  /**
   * Where the command was typed. Slack sends no thread in a command's payload;
   * the fake only uses this to place `in_channel` responses.
   */
  threadTs?: string;
}

export interface CommandAck extends DeliveryResult {
  /** What Slack shows the user when the ack missed the deadline. */
  userNotice?: 'operation_timeout';
}

export interface SentCommand {
  id: string;
  responseUrl: string;
  triggerId: string;
  /** Settles at the service's answer or at the ack deadline. */
  ack: Promise<CommandAck>;
}

export interface ResponseUrlReply {
  status: number;
  body: Record<string, unknown>;
}

interface CommandRecord {
  id: string;
  channel: string;
  threadTs?: string;
  issuedAt: number;
  uses: number;
  responses: CommandResponse[];
  /** The last `in_channel` response, which `replace_original`/`delete_original` act on. */
  lastInChannelTs?: string;
}

const refuse = (status: number, error: string, detail?: string): ResponseUrlReply => ({
  status,
  body: {
    ok: false,
    error,
    ...(detail ? { response_metadata: { messages: [`[ERROR] ${detail}`] } } : {}),
  },
});

/** Slash commands: the signed form POST (or socket envelope), its ack, and the `response_url`. */
export class Commands {
  private readonly records = new Map<string, CommandRecord>();

  constructor(
    private readonly ctx: FakeContext,
    private readonly deliverer: Deliverer,
  ) {}

  run(input: RunCommandInput): SentCommand {
    const { state, options } = this.ctx;
    if (!input.command.startsWith('/')) throw new Error('fake-slack: commands start with /');
    const ch = state.requireChannel(input.channel);
    const user = state.users.get(input.user);
    if (!user) throw new Error(`fake-slack: unknown user ${input.user}`);
    const threadTs =
      input.threadTs !== undefined ? state.threadRoot(ch.id, input.threadTs) : undefined;
    const id = slackId('', 12).toLowerCase();
    const responseUrl = `${state.baseUrl}/commands/${id}`;
    const trigger = triggerId();
    const rec: CommandRecord = {
      id,
      channel: ch.id,
      ...(threadTs !== undefined ? { threadTs } : {}),
      issuedAt: Date.now(),
      uses: 0,
      responses: [],
    };
    this.records.set(id, rec);
    const payload = {
      token: options.verificationToken,
      team_id: options.teamId,
      team_domain: options.teamDomain,
      channel_id: ch.id,
      channel_name: ch.isIm ? 'directmessage' : ch.name,
      user_id: user.id,
      user_name: user.name,
      command: input.command,
      text: input.text ?? '',
      api_app_id: options.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: trigger,
    };
    const ack = this.deliverer
      .deliver('slash_commands', payload, id, input)
      .then((result): CommandAck => {
        if (!result.acknowledged) {
          return result.failure === 'timeout'
            ? { ...result, userNotice: 'operation_timeout' }
            : result;
        }
        const response = this.ackResponse(result.body);
        if (response) this.respond(rec, response);
        return result;
      });
    return { id, responseUrl, triggerId: trigger, ack };
  }

  /**
   * A `response_url` for something other than a command (a button press):
   * the same uses and lifetime; `ephemeral` answers are recorded, `in_channel`
   * ones post in `channel` (in `threadTs`).
   */
  issueResponseUrl(channel: string, threadTs?: string): { id: string; url: string } {
    const id = slackId('', 12).toLowerCase();
    this.records.set(id, {
      id,
      channel,
      ...(threadTs !== undefined ? { threadTs } : {}),
      issuedAt: Date.now(),
      uses: 0,
      responses: [],
    });
    return { id, url: `${this.ctx.state.baseUrl}/commands/${id}` };
  }

  responses(id: string): CommandResponse[] {
    return this.records.get(id)?.responses ?? [];
  }

  /**
   * A POST to a `response_url`: JSON with `text`/`blocks`, `response_type`,
   * `replace_original`, `delete_original`. At most `responseUrlMaxUses` within
   * `responseUrlTtlMs`; after that 404 `expired_url`. `markdown_text` is not
   * part of this payload: refused with 400 `invalid_payload`.
   */
  handleResponseUrl(id: string, body: Buffer): ResponseUrlReply {
    const { options } = this.ctx;
    const rec = this.records.get(id);
    if (!rec) return refuse(404, 'invalid_url');
    if (
      Date.now() - rec.issuedAt > options.responseUrlTtlMs ||
      rec.uses >= options.responseUrlMaxUses
    ) {
      return refuse(404, 'expired_url');
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return refuse(400, 'invalid_payload', 'the body must be JSON');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return refuse(400, 'invalid_payload', 'the body must be a JSON object');
    }
    if ('markdown_text' in payload) {
      return refuse(
        400,
        'invalid_payload',
        'markdown_text is not accepted by response_url; use text (mrkdwn) or blocks',
      );
    }
    const text = typeof payload['text'] === 'string' ? payload['text'] : undefined;
    const blocks = Array.isArray(payload['blocks']) ? (payload['blocks'] as unknown[]) : undefined;
    const deleteOriginal = payload['delete_original'] === true;
    if (!deleteOriginal && !text && !blocks?.length) return refuse(400, 'no_text');
    rec.uses += 1;
    this.respond(rec, {
      ...(text !== undefined ? { text } : {}),
      ...(blocks ? { blocks } : {}),
      responseType: payload['response_type'] === 'in_channel' ? 'in_channel' : 'ephemeral',
      replaceOriginal: payload['replace_original'] === true,
      deleteOriginal,
      via: 'response_url',
      at: Date.now(),
    });
    return { status: 200, body: { ok: true } };
  }

  /** The ack's body as Slack reads it: JSON is a message, plain text an ephemeral line, empty nothing. */
  private ackResponse(body: unknown): CommandResponse | undefined {
    const at = Date.now();
    if (typeof body === 'string') {
      return body
        ? {
            text: body,
            responseType: 'ephemeral',
            replaceOriginal: false,
            deleteOriginal: false,
            via: 'ack',
            at,
          }
        : undefined;
    }
    if (typeof body !== 'object' || body === null) return undefined;
    const b = body as Record<string, unknown>;
    const text = typeof b['text'] === 'string' ? b['text'] : undefined;
    const blocks = Array.isArray(b['blocks']) ? (b['blocks'] as unknown[]) : undefined;
    if (!text && !blocks) return undefined;
    return {
      ...(text !== undefined ? { text } : {}),
      ...(blocks ? { blocks } : {}),
      responseType: b['response_type'] === 'in_channel' ? 'in_channel' : 'ephemeral',
      replaceOriginal: false,
      deleteOriginal: false,
      via: 'ack',
      at,
    };
  }

  /** Records a response; `in_channel` ones become (or replace, or remove) a message everyone sees. */
  private respond(rec: CommandRecord, r: CommandResponse): void {
    rec.responses.push(r);
    const { state } = this.ctx;
    const previous = rec.lastInChannelTs
      ? state.message(rec.channel, rec.lastInChannelTs)
      : undefined;
    if (r.deleteOriginal) {
      if (previous) {
        previous.deleted = true;
        previous.deletedAt = r.at;
      }
      return;
    }
    if (r.responseType !== 'in_channel') return;
    if (r.replaceOriginal && previous && !previous.deleted) {
      previous.text = r.text ?? '';
      if (r.blocks) previous.blocks = r.blocks;
      previous.editedAt = r.at;
      state.show(previous, previous.text, 'update', r.at);
      return;
    }
    const m = addBotMessage(this.ctx, {
      channel: rec.channel,
      threadTs: rec.threadTs,
      content: { text: r.text ?? '', ...(r.blocks ? { blocks: r.blocks } : {}) },
      origin: 'command-response',
      via: 'post',
      now: r.at,
    });
    rec.lastInChannelTs = m.ts;
  }
}
