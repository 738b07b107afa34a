import type { ChatRequest, ChatStreamEvent } from '../../src/chutes/chat-client.js';
import type { ChatModel } from '../../src/core/ports.js';

export interface ModelCall {
  readonly request: ChatRequest;
  readonly startedAt: number;
  endedAt?: number;
}

type Step = { reply?: string; error?: Error; delayMs?: number };

/** An in-process ChatModel: answers from a script, then with "answer N". */
export class ScriptedModel implements ChatModel {
  readonly calls: ModelCall[] = [];
  private readonly steps: Step[] = [];

  script(...steps: Step[]): void {
    this.steps.push(...steps);
  }

  async *streamChat(request: ChatRequest): AsyncIterable<ChatStreamEvent> {
    const call: ModelCall = { request, startedAt: Date.now() };
    this.calls.push(call);
    const step = this.steps.shift() ?? {};
    try {
      if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      if (step.error) throw step.error;
      const reply = step.reply ?? `answer ${this.calls.length}`;
      for (const piece of reply.match(/.{1,5}/gs) ?? []) yield { type: 'delta', content: piece };
      yield { type: 'finish', reason: 'stop' };
      yield { type: 'usage', promptTokens: 10, completionTokens: 3, totalTokens: 13 };
    } finally {
      call.endedAt = Date.now();
    }
  }
}
