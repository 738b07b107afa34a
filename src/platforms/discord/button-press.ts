/**
 * Presses of the buttons on answers (message component interactions, type 3):
 * acknowledged at once with a deferred update (type 6, which leaves the
 * message as it is), well inside Discord's 3 seconds, then handed to the
 * workers as ControlJobs. Presses of buttons this service did not make are
 * left alone.
 */
import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { decodeControlId } from '../../core/controls/control-id.js';
import { controlSink, type ControlJob, type JobSink } from '../../core/jobs.js';
import { CONTROL_NOT_QUEUED } from '../../core/user-messages.js';
import type { Logger } from '../../log.js';
import { isDiscordAdmin } from './admin.js';
import { encodeDiscordInteraction } from './interaction-ref.js';

export async function onButtonPress(
  interaction: ButtonInteraction,
  producer: JobSink,
  log: Logger,
): Promise<void> {
  const control = decodeControlId(interaction.customId);
  if (!control) return;
  await interaction.deferUpdate();
  const job: ControlJob = {
    v: 1,
    platform: 'discord',
    tenantId: interaction.guildId ?? `dm:${interaction.user.id}`,
    channelId: interaction.channelId,
    action: control.action,
    answerId: control.answerId,
    askerId: control.askerId,
    interaction: encodeDiscordInteraction({
      applicationId: interaction.applicationId,
      token: interaction.token,
    }),
    actor: {
      id: interaction.user.id,
      name: interaction.user.displayName || interaction.user.username,
      // Manage Server, as for the commands; in a DM (the user's own, for commands) only the
      // asker may press.
      isAdmin: interaction.inGuild() && isDiscordAdmin(interaction),
    },
    message: { channelId: interaction.channelId, messageId: interaction.message.id },
    pressId: interaction.id,
    receivedAt: interaction.createdAt.toISOString(),
  };
  try {
    const result = await controlSink(producer).enqueueControl(job, interaction.id);
    log.info(
      { ...result, platform: job.platform, tenantId: job.tenantId, control: control.action },
      'Discord button press queued',
    );
  } catch (error) {
    log.error({ err: error, control: control.action }, 'could not enqueue a Discord button press');
    await interaction
      .followUp({ content: CONTROL_NOT_QUEUED, flags: MessageFlags.Ephemeral })
      .catch(() => undefined);
  }
}
