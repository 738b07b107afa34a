/** /forget: deletes the stored history of the conversation, and of every one nested in it. */
import { canForget } from '../settings/index.js';
import { forgetAdminOnlyText, forgottenText } from '../user-messages.js';
import { defineCommand } from './definition.js';
import { when } from './preconditions.js';

export const forget = defineCommand({
  name: 'forget',
  description: "Clear the bot's stored history of {here}",
  // Anyone, unless the tenant's admins kept it for themselves (forget_admin_only).
  precondition: when(
    async (actor, here) => canForget(actor, await here.settings()),
    forgetAdminOnlyText,
  ),
  // The answers still streaming here would store their exchange right after the history went.
  ordered: true,
  run: async ({ job }, deps) => {
    const count = await deps.conversations.forget(job.platform, job.conversationKey);
    deps.log.info(
      { platform: job.platform, conversation: job.conversationKey, count },
      'history forgotten',
    );
    return forgottenText(count);
  },
});
