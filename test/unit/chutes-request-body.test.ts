import { describe, expect, it } from 'vitest';
import { buildChatBody } from '../../src/chutes/chat-request.js';
import type { ChatRequest } from '../../src/chutes/chat-types.js';
import { createValidators } from '../fakes/chutes/validators.js';

const { chatRequest } = createValidators();

describe('buildChatBody', () => {
  it('sends only schema properties, with stream: true and no undefined values', () => {
    const req = {
      model: 'm',
      messages: [{ role: 'user', content: 'hi', name: 'bob' }],
      temperature: 0.3,
      max_tokens: undefined,
      // Settings rows and the like carry fields Chutes does not know.
      stream_options: { include_usage: true },
      forgetAdminOnly: true,
    } as unknown as ChatRequest;
    const body = buildChatBody(req);
    expect(body).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3,
      stream: true,
    });
    expect(JSON.stringify(body)).not.toContain('undefined');
    expect(chatRequest(body)).toBe(true);
  });

  it('passes every sampling parameter through and stays valid', () => {
    const body = buildChatBody({
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: 'a' },
      ],
      temperature: 1,
      top_p: 0.9,
      max_tokens: 100,
      top_k: 40,
      min_p: 0.05,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      repetition_penalty: 1.1,
      seed: 42,
    });
    expect(Object.keys(body)).toHaveLength(12);
    expect(chatRequest(body)).toBe(true);
  });

  it('the closed schema catches what the real one lets through', () => {
    expect(chatRequest({ model: 'm', messages: [], stream: true, stream_options: {} })).toBe(false);
    expect(chatRequest({ model: 'm', messages: [{ role: 'user', content: 'x', name: 'n' }] })).toBe(
      false,
    );
    expect(chatRequest({ model: 'm', messages: [], seed: -1 })).toBe(false);
  });
});
