/**
 * Presses of the buttons on answers (`block_actions` interactivity payloads):
 * acknowledged at once, then handed to the workers as ControlJobs; the
 * press's `response_url` answers the person privately. 👍 and 👎 are one
 * `feedback_buttons` element: its press carries the pressed button's value,
 * that vote's control id (control-blocks.ts).
 */
import type { App, BlockAction, ButtonAction, FeedbackButtonsAction } from '@slack/bolt';
import {
  CONTROL_ID_PATTERN,
  decodeControlId,
  type ControlId,
} from '../../core/controls/control-id.js';
import { controlSink, type ControlJob, type JobSink } from '../../core/jobs.js';
import { CONTROL_NOT_QUEUED } from '../../core/user-messages.js';
import type { Logger } from '../../log.js';
import { encodeSlackInteraction } from './interaction-ref.js';
import type { SlackWorkspaces } from './workspaces.js';

export function listenForButtonPresses(
  app: App,
  options: {
    readonly producer: JobSink;
    /** The workspace's people, and its surface for the line about a press not queued. */
    readonly workspaces: SlackWorkspaces;
    /** Single-workspace mode: the workspace, where a press does not name its team. */
    readonly teamId?: string;
    readonly log: Logger;
  },
): void {
  const { producer, log } = options;
  app.action<BlockAction<ButtonAction | FeedbackButtonsAction>>(
    { type: 'block_actions', action_id: CONTROL_ID_PATTERN },
    async ({ ack, body, action, context }) => {
      await ack();
      // The installation's workspace (Slack Connect: the presser may be of another one).
      const teamId = context.teamId ?? body.team?.id ?? options.teamId ?? '';
      const { people, surface } = options.workspaces.get(teamId);
      const control = pressedControl(action);
      const channelId = body.channel?.id ?? body.container.channel_id;
      const messageTs = body.message?.ts ?? body.container.message_ts;
      if (!control || !channelId || !messageTs) return;
      const interaction = encodeSlackInteraction({ responseUrl: body.response_url, channelId });
      // Who it is only where this gateway knows already; the worker looks up the rest.
      const known = people.known(body.user.id);
      const job: ControlJob = {
        v: 1,
        platform: 'slack',
        tenantId: teamId,
        channelId,
        action: control.action,
        answerId: control.answerId,
        askerId: control.askerId,
        interaction,
        actor: known
          ? { id: known.id, name: known.name, isAdmin: known.isAdmin }
          : { id: body.user.id, name: body.user.name || body.user.id, isAdmin: false },
        ...(known ? {} : { actorPending: true }),
        message: {
          channelId,
          messageId: messageTs,
          ...(body.container.thread_ts ? { threadId: body.container.thread_ts as string } : {}),
        },
        pressId: body.trigger_id,
        receivedAt: new Date().toISOString(),
      };
      try {
        const result = await controlSink(producer).enqueueControl(job, body.trigger_id);
        log.info(
          { ...result, platform: job.platform, tenantId: job.tenantId, control: control.action },
          'Slack button press queued',
        );
      } catch (error) {
        log.error(
          { err: error, control: control.action },
          'could not enqueue a Slack button press',
        );
        await surface.whisper?.(interaction, CONTROL_NOT_QUEUED).catch(() => undefined);
      }
      void people.get(body.user.id).catch(() => undefined);
    },
  );
}

/**
 * The control a press is for: a button's `action_id`; for feedback buttons,
 * the `value` of the one pressed, a vote on the answer the element names.
 */
export function pressedControl(action: {
  readonly type: string;
  readonly action_id: string;
  readonly value?: string;
}): ControlId | undefined {
  const control = decodeControlId(action.action_id);
  if (action.type !== 'feedback_buttons') return control;
  const vote = decodeControlId(action.value ?? '');
  if (!control || !vote || (vote.action !== 'up' && vote.action !== 'down')) return undefined;
  if (vote.answerId !== control.answerId || vote.askerId !== control.askerId) return undefined;
  return vote;
}
