#!/bin/sh
# Part of `npm test` (its pretest step): the queue dashboard's browser test
# drives Debian's chromium through playwright-core, which brings no browser.
# Installs it where it is missing and this user may (root with apt-get);
# otherwise that one test is skipped and says why.
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$CHROMIUM_PATH" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the dashboard's browser test"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } && exit 0
fi
echo "chromium is not installed and cannot be installed here: the dashboard's browser test will be skipped"
exit 0
