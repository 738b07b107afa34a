import { describe, expect, it } from 'vitest';
import {
  mentionedUserIds,
  mentionsAnyone,
  muteMentions,
  slackToPlainText,
} from '../../src/platforms/slack/text.js';

const BOT = 'UBOT';
const names = new Map([
  ['U1', 'Ann'],
  ['U2', 'Émile 🚀'],
  ['U3', 'R&D <team>'],
]);
const plain = (text: string) => slackToPlainText(text, { botUserId: BOT, userNames: names });

describe('mentionedUserIds', () => {
  it('lists each mentioned user once, in order, in both forms', () => {
    expect(mentionedUserIds('<@U2> hi <@U1|ann> and <@U2>, <@UBOT>')).toEqual(['U2', 'U1', 'UBOT']);
  });

  it('ignores channels, subteams, broadcasts, links and escaped look-alikes', () => {
    expect(
      mentionedUserIds(
        '<#C1|general> <!subteam^S1|@team> <!here> <https://x.y/@U9> <mailto:a@b.c> &lt;@U8&gt;',
      ),
    ).toEqual([]);
    expect(mentionedUserIds('')).toEqual([]);
  });
});

describe('slackToPlainText: users', () => {
  it('names users from the map, then the label, then the id', () => {
    expect(plain('<@U1> meet <@U2>')).toBe('@Ann meet @Émile 🚀');
    expect(plain('<@U1|someone>')).toBe('@Ann');
    expect(plain('<@U7|zoe>')).toBe('@zoe');
    expect(plain('<@U7|@zoe>')).toBe('@zoe');
    expect(plain('<@U7>')).toBe('@U7');
    expect(plain('<@U7|>')).toBe('@U7');
  });

  it('does not unescape display names from the map: they are not mrkdwn', () => {
    expect(plain('ask <@U3> &amp; co')).toBe('ask @R&D <team> & co');
    const amp = new Map([['U1', 'A &amp; B']]);
    expect(slackToPlainText('<@U1>', { botUserId: BOT, userNames: amp })).toBe('@A &amp; B');
  });
});

describe("slackToPlainText: the bot's own mention", () => {
  it('removes a leading mention and what addressed the bot', () => {
    expect(plain('<@UBOT> what is 2+2?')).toBe('what is 2+2?');
    expect(plain('<@UBOT|chutes-bot> hi')).toBe('hi');
    expect(plain('<@UBOT>: explain monads')).toBe('explain monads');
    expect(plain('<@UBOT>, explain monads')).toBe('explain monads');
    expect(plain('  <@UBOT>\n\nline one\nline two  ')).toBe('line one\nline two');
  });

  it('collapses the gap a mention in the middle leaves', () => {
    expect(plain('hey <@UBOT> what is up')).toBe('hey what is up');
    expect(plain('hey   <@UBOT>\t  what')).toBe('hey what');
    expect(plain('thanks <@UBOT>!')).toBe('thanks!');
    expect(plain('so <@UBOT>, why?')).toBe('so, why?');
    expect(plain('hi<@UBOT>there')).toBe('hi there');
    expect(plain('first line <@UBOT>\nsecond line')).toBe('first line\nsecond line');
    expect(plain('a\n<@UBOT> b')).toBe('a\nb');
  });

  it('keeps the whitespace elsewhere as typed', () => {
    expect(plain('<@UBOT> keep  two spaces\n\n  and indent')).toBe(
      'keep  two spaces\n\n  and indent',
    );
  });

  it('handles repeated and adjacent mentions', () => {
    expect(plain('<@UBOT> <@UBOT> hello <@UBOT>')).toBe('hello');
    expect(plain('<@UBOT><@U1> hello')).toBe('@Ann hello');
    expect(plain('<@UBOT> <@U1> and <@UBOT> <@U2>')).toBe('@Ann and @Émile 🚀');
  });

  it('gives an empty string when the message was only the mention', () => {
    expect(plain('<@UBOT>')).toBe('');
    expect(plain('  <@UBOT>  \n ')).toBe('');
    expect(plain('<@UBOT>:')).toBe('');
    expect(plain('')).toBe('');
  });
});

describe('slackToPlainText: channels, broadcasts, subteams, dates', () => {
  it('writes channels as #name, or #id without a label', () => {
    expect(plain('see <#C123|general>')).toBe('see #general');
    expect(plain('see <#C123>')).toBe('see #C123');
    expect(plain('see <#C123|>')).toBe('see #C123');
  });

  it('writes broadcasts as @here, @channel, @everyone', () => {
    expect(plain('<!here> <!channel> <!everyone>')).toBe('@here @channel @everyone');
    expect(plain('<!here|here> <!channel|@channel>')).toBe('@here @channel');
  });

  it('writes subteams as @team without doubling the @', () => {
    expect(plain('ping <!subteam^S123|@oncall>')).toBe('ping @oncall');
    expect(plain('ping <!subteam^S123|oncall>')).toBe('ping @oncall');
    expect(plain('ping <!subteam^S123>')).toBe('ping @S123');
  });

  it('writes dates as their fallback text', () => {
    expect(plain('due <!date^1392734382^{date_short}|Feb 18, 2014>')).toBe('due Feb 18, 2014');
    expect(plain('<!date^1392734382^{date} at {time}^https://x.y|Feb 18th, 2014 at 6:39 AM>')).toBe(
      'Feb 18th, 2014 at 6:39 AM',
    );
    expect(plain('<!date^1392734382^{date}>')).toBe('2014-02-18T14:39:42.000Z');
  });
});

describe('slackToPlainText: links', () => {
  it('shows label (url) when the label says something else', () => {
    expect(plain('read <https://x.y/z|the docs>')).toBe('read the docs (https://x.y/z)');
  });

  it('shows the url alone when there is no label or it repeats the url', () => {
    expect(plain('<https://x.y/z>')).toBe('https://x.y/z');
    expect(plain('<https://x.y/z|https://x.y/z>')).toBe('https://x.y/z');
  });

  it('keeps what was typed when Slack only added a scheme', () => {
    expect(plain('go to <http://example.com|example.com>')).toBe('go to example.com');
  });

  it('shows mailto links as the address', () => {
    expect(plain('<mailto:a@b.c|a@b.c>')).toBe('a@b.c');
    expect(plain('<mailto:a@b.c>')).toBe('a@b.c');
    expect(plain('<mailto:a@b.c|write to us>')).toBe('write to us (a@b.c)');
  });

  it('unescapes urls and labels', () => {
    expect(plain('<https://x.y/?a=1&amp;b=2|Q&amp;A>')).toBe('Q&A (https://x.y/?a=1&b=2)');
  });

  it('treats an escaped token inside a label as text, not a mention', () => {
    expect(plain('<https://x.y|&lt;@U1&gt; page>')).toBe('<@U1> page (https://x.y)');
    expect(mentionedUserIds('<https://x.y|&lt;@U1&gt;>')).toEqual([]);
  });
});

describe('slackToPlainText: escapes', () => {
  it('unescapes the three entities Slack writes', () => {
    expect(plain('a &lt; b &amp;&amp; c &gt; d')).toBe('a < b && c > d');
  });

  it('unescapes once, so an escaped entity stays an entity', () => {
    expect(plain('&amp;lt; &amp;gt; &amp;amp;')).toBe('&lt; &gt; &amp;');
  });

  it('leaves other entities alone: Slack never writes them', () => {
    expect(plain('&quot;hi&quot; &#39; &nbsp;')).toBe('&quot;hi&quot; &#39; &nbsp;');
  });

  it('leaves stray brackets around tokens as text', () => {
    expect(plain('&lt;<@U1>&gt;')).toBe('<@Ann>');
    expect(plain('x > y')).toBe('x > y');
  });
});

describe('slackToPlainText: Markdown, code and unicode', () => {
  it('keeps mrkdwn formatting as typed', () => {
    expect(plain('<@UBOT> make this *bold* and _italic_ ~gone~')).toBe(
      'make this *bold* and _italic_ ~gone~',
    );
  });

  it('converts tokens and escapes inside inline code and code blocks too', () => {
    expect(plain('<@UBOT> why does `if (a &lt; b &amp;&amp; <@U1>)` fail?')).toBe(
      'why does `if (a < b && @Ann)` fail?',
    );
    expect(plain('```\nconst x = a &gt; b;\n// <https://x.y>\n```')).toBe(
      '```\nconst x = a > b;\n// https://x.y\n```',
    );
  });

  it('passes unicode through untouched', () => {
    expect(plain('<@UBOT> 日本語で説明して 🙏 <#C1|café>')).toBe('日本語で説明して 🙏 #café');
    expect(plain('<@U2>\u200b zero-width')).toBe('@Émile 🚀\u200b zero-width');
  });
});

describe('muteMentions', () => {
  it('keeps every would-be notification token from being one, and shows the text as written', () => {
    const text =
      'hey <!channel>, <!here|here> <!everyone> <!subteam^S0123|@devs> <@U0BOB00001> &lt;!channel&gt; a < b, x <= y';
    const muted = muteMentions(text);
    expect(muted).not.toMatch(/<[!@]|&lt;[!@]/);
    expect(muted.replaceAll('\u200B', '')).toBe(text);
    expect(muteMentions(muted)).toBe(muted);
  });

  it('is prefix-stable, so stream appends cut anywhere add up to the muted whole', () => {
    const text = 'a <!channel> b <@U1> c &lt;!here&gt; <<!everyone> <';
    const whole = muteMentions(text);
    for (let cut = 0; cut <= text.length; cut++)
      expect(whole.startsWith(muteMentions(text.slice(0, cut)))).toBe(true);
  });
});

describe('mentionsAnyone', () => {
  it('sees people, user groups and broadcasts, and nothing in links, channels or dates', () => {
    expect(mentionsAnyone('<@U1> look')).toBe(true);
    expect(mentionsAnyone('cc <@U1|ann>')).toBe(true);
    expect(mentionsAnyone('<!subteam^S1|@devs> ideas?')).toBe(true);
    expect(mentionsAnyone('<!here> <!channel> <!everyone>')).toBe(true);
    expect(mentionsAnyone('plain words, *bold*, `<code>` as &lt;@U1&gt;')).toBe(false);
    expect(mentionsAnyone('<https://x.io|x.io> in <#C1|general> on <!date^1|today>')).toBe(false);
  });
});
