/**
 * The queue dashboard in a real headless browser (Debian's chromium driven by
 * playwright-core): it asks for the password, then lists the queues and a
 * failed job with its reason, and retries it. Run on both queue backends.
 *
 * Skipped, saying why, where no chromium is installed (`apt-get install
 * chromium`; `npm test` installs it where it may). DASHBOARD_SCREENSHOT=<file> saves the
 * failed-jobs page there (the picture in docs/dashboard.md).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOutput, ANN, channel, startStack, type Stack } from './stack.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => Boolean(path && existsSync(path)),
);
const PASSWORD = 'dashboard-password-never-leaks';
if (!CHROMIUM) console.warn('dashboard tests skipped: no chromium (apt-get install chromium)');

describe.skipIf(!CHROMIUM).each(['postgres', 'redis'] as const)(
  'queue dashboard on %s, in chromium',
  (topology) => {
    let stack: Stack;
    let browser: Browser;
    let base: string;
    beforeAll(async () => {
      [stack, browser] = await Promise.all([
        startStack({ topology, env: { ADMIN_PASSWORD: PASSWORD } }),
        chromium.launch({ executablePath: CHROMIUM }),
      ]);
      base = `http://127.0.0.1:${stack.service.port}/admin/queues`;
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      // The password never reaches the logs.
      if (stack) expect(allOutput(stack.service)).not.toContain(PASSWORD);
    });

    it('asks for the password and lets no one in without it', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const response = await page.goto(base);
      expect(response?.status()).toBe(401);
      await page.getByLabel('Admin password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').innerText()).toBe('Wrong password.');
      expect(await page.content()).not.toContain('commands');
      // The API behind the page is closed too, and so is the cookie of another password.
      expect((await fetch(`${base}/api/queues`)).status).toBe(401);
      const forged = await fetch(`${base}/api/queues`, {
        headers: { cookie: `chutes_bot_admin=${Date.now() + 60_000}.forged` },
      });
      expect(forged.status).toBe(401);
      await context.close();
    });

    it('lists the queues and a failed job with its reason, and retries it', async () => {
      stack.chutes.script({ error: { status: 404, body: { detail: 'model not found' } } });
      stack.discord.sendMessage({
        channelId: channel(3),
        author: ANN,
        content: 'use a missing model',
        mentionsBot: true,
      });
      await stack.discord.waitFor(
        () => stack.botMessages(channel(3)).at(-1)?.content.includes('not available'),
        15_000,
        'the failure shown to the user',
      );
      // The reply tells the user just before the job is moved to the failed set.
      const failed = await expect
        .poll(async () => (await stack.chatQueue.getFailed())[0], { timeout: 5_000 })
        .toBeDefined()
        .then(async () => (await stack.chatQueue.getFailed())[0]!);

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(base);
      await page.getByLabel('Admin password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const sidebar = page.getByRole('navigation');
      await expect
        .poll(() => sidebar.innerText(), { timeout: 10_000 })
        .toMatch(/chat[\s\S]*commands/);

      await page.goto(`${base}/queue/chat?status=failed`);
      const job = page.getByText(failed.id!, { exact: true });
      await job.waitFor({ timeout: 10_000 });
      await page
        .getByText(/model_not_found: Chat completion with model-a failed with HTTP 404/)
        .waitFor();
      if (process.env.DASHBOARD_SCREENSHOT)
        await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });

      // This time the model answers: the retried job completes, in the same reply.
      stack.chutes.script({ chunks: ['Found ', 'it.'] });
      await page.getByRole('button', { name: 'Retry all' }).click();
      const confirm = page.getByRole('button', { name: 'Confirm' });
      await confirm.waitFor({ timeout: 5_000 });
      await confirm.click();
      await stack.discord.waitFor(
        () => stack.botMessages(channel(3)).at(-1)?.content === 'Found it.',
        15_000,
        'the retried answer',
      );
      expect(stack.botMessages(channel(3))).toHaveLength(1);
      await expect.poll(() => stack.chatQueue.getJobState(failed.id!)).toBe('completed');
      await context.close();
    }, 60_000);
  },
);
