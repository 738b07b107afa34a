import type { MessageEvents } from './events.js';
import type { Gateway } from './gateway.js';
import type { FakeState } from './state.js';
import type { ResolvedOptions } from './types.js';

/** What every route module needs. */
export interface FakeContext {
  state: FakeState;
  options: ResolvedOptions;
  gateway: Gateway;
  events: MessageEvents;
}
