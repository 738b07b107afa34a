import { PermissionFlagsBits, type Interaction } from 'discord.js';

/** Manage Server (Administrator implies it) in a guild; a DM is the user's own. */
export function isDiscordAdmin(interaction: Interaction): boolean {
  if (!interaction.inGuild()) return true;
  return interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
}
