/**
 * The reply's sentences about a question's files, above its answer: shown with
 * the answer's first words and kept when a reasoning model's text turns out to
 * be thinking and is taken back (ThinkingAnswer's retract).
 */
import type { AnswerSink } from '../reasoning/thinking-answer.js';

export function withLead(sink: AnswerSink, lead: string): AnswerSink {
  if (lead === '') return sink;
  let shown = false;
  return {
    append(text) {
      if (!shown) sink.append(lead);
      shown = true;
      sink.append(text);
    },
    retract() {
      sink.retract();
      shown = false;
    },
    thinking(since) {
      sink.thinking(since);
    },
  };
}
