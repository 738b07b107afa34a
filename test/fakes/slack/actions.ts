/**
 * Button presses (interactivity's `block_actions` payloads), as Slack sends
 * them: only for a button the message carries now (for feedback buttons, the
 * action is typed `feedback_buttons` and carries the pressed button's `text`
 * and `value`), only when the app's
 * manifest enables interactivity, as a signed form POST with one field,
 * `payload` (or a socket envelope of type `interactive`), against the 3 s ack
 * deadline, with a `response_url` that answers the person who pressed.
 */
import { readFileSync } from 'node:fs';
import { messagePayload } from './bot-messages.js';
import type { Commands } from './commands.js';
import { actionIdsOf, feedbackButtonsOf } from './content.js';
import type { FakeContext } from './context.js';
import type { Deliverer, DeliveryOptions, DeliveryResult } from './delivery.js';
import { triggerId } from './ids.js';

export interface PressButtonInput extends DeliveryOptions {
  channel: string;
  /** The message the button is on. */
  ts: string;
  actionId: string;
  /** Who pressed. */
  user: string;
  /** For a `feedback_buttons` element: which of its two buttons. */
  feedback?: 'positive' | 'negative';
}

export interface PressFeedbackInput extends DeliveryOptions {
  channel: string;
  /** The message the feedback buttons are on. */
  ts: string;
  vote: 'positive' | 'negative';
  user: string;
}

export interface SentPress {
  /** For `commandResponses(id)`: what the app answered through the `response_url`. */
  id: string;
  responseUrl: string;
  triggerId: string;
  /** Settles at the app's ack or at the deadline. */
  ack: Promise<DeliveryResult>;
}

const MANIFEST = new URL('../../../src/platforms/slack/manifest.json', import.meta.url);

/** Slack sends no interactivity to an app whose manifest does not enable it. */
function interactivityEnabled(): boolean {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as {
    settings?: { interactivity?: { is_enabled?: boolean } };
  };
  return manifest.settings?.interactivity?.is_enabled === true;
}

export class Actions {
  constructor(
    private readonly ctx: FakeContext,
    private readonly deliverer: Deliverer,
    private readonly commands: Commands,
  ) {}

  /** Presses 👍 or 👎 of the message's feedback buttons (throws unless it carries exactly one). */
  pressFeedback(input: PressFeedbackInput): SentPress {
    const { vote, ...rest } = input;
    const m = this.ctx.state.message(this.ctx.state.requireChannel(input.channel).id, input.ts);
    const found = feedbackButtonsOf([...(m?.blocks ?? []), ...(m?.finalBlocks ?? [])]);
    if (found.length !== 1)
      throw new Error(`fake-slack: message ${input.ts} carries ${found.length} feedback buttons`);
    return this.press({ ...rest, actionId: found[0]!.actionId, feedback: vote });
  }

  press(input: PressButtonInput): SentPress {
    const { state, options } = this.ctx;
    if (!interactivityEnabled())
      throw new Error('fake-slack: the manifest does not enable interactivity');
    const ch = state.requireChannel(input.channel);
    const m = state.message(ch.id, input.ts);
    if (!m || m.deleted) throw new Error(`fake-slack: no message ${input.ts} in ${ch.id}`);
    // Buttons in the message's blocks, or in those a stream's stop put at its end.
    const block = [...(m.blocks ?? []), ...(m.finalBlocks ?? [])].find((b) =>
      actionIdsOf([b]).includes(input.actionId),
    ) as { block_id?: string; elements: Record<string, unknown>[] } | undefined;
    const element = block?.elements.find((e) => e['action_id'] === input.actionId);
    if (!element) throw new Error(`fake-slack: message ${m.ts} has no button ${input.actionId}`);
    // A feedback_buttons element is two buttons under one action_id: the press names the one.
    const isFeedback = element['type'] === 'feedback_buttons';
    if (isFeedback !== (input.feedback !== undefined))
      throw new Error(
        `fake-slack: ${input.actionId} is ${isFeedback ? 'feedback buttons: say which' : 'not feedback buttons'}`,
      );
    const pressed = isFeedback
      ? (element[`${input.feedback!}_button`] as Record<string, unknown>)
      : element;
    const user = state.users.get(input.user);
    if (!user) throw new Error(`fake-slack: unknown user ${input.user}`);
    const response = this.commands.issueResponseUrl(ch.id, m.threadTs);
    const trigger = triggerId();
    const actionTs = (Date.now() / 1000).toFixed(6);
    const payload = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: options.teamId },
      api_app_id: options.appId,
      token: options.verificationToken,
      container: {
        type: 'message',
        message_ts: m.ts,
        channel_id: ch.id,
        is_ephemeral: false,
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      },
      trigger_id: trigger,
      team: { id: options.teamId, domain: options.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: ch.id, name: ch.isIm ? 'directmessage' : ch.name },
      message: messagePayload(this.ctx, m),
      state: { values: {} },
      response_url: response.url,
      actions: [
        {
          action_id: input.actionId,
          block_id: block?.block_id ?? (isFeedback ? 'context_actions' : 'actions'),
          text: pressed['text'],
          ...(pressed['value'] !== undefined ? { value: pressed['value'] } : {}),
          ...(element['style'] !== undefined ? { style: element['style'] } : {}),
          type: isFeedback ? 'feedback_buttons' : 'button',
          action_ts: actionTs,
        },
      ],
    };
    const ack = this.deliverer.deliver('interactive', payload, trigger, input);
    return { id: response.id, responseUrl: response.url, triggerId: trigger, ack };
  }
}
