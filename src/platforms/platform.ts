/**
 * What a platform adapter offers the service: a surface for the workers and
 * a gateway that turns the platform's events into jobs. The service iterates
 * the registry (registry.ts); a new platform is a folder plus one entry there.
 */
import type { RequestListener } from 'node:http';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { CommandStyle } from '../core/commands/definition.js';
import type { JobSink } from '../core/jobs.js';
import type { Metrics } from '../core/metrics.js';
import type { ModelInfo } from '../chutes/model-info.js';
import type { ConversationPresence } from '../core/ports.js';
import type { RateBudget } from '../core/rate-budget.js';
import type { RateLearning } from '../core/rate-learning.js';
import type { SettingsSource } from '../core/settings/index.js';
import type { ShardCoordination } from '../core/shard-coordination.js';
import type { ChatSurface, InteractionSurface } from '../core/surface.js';
import type { Logger } from '../log.js';

export type { JobSink };
export type { LearnedRule, RateLearning } from '../core/rate-learning.js';

/** The chat models Chutes serves, for a gateway that offers them as you type. */
export interface ModelSuggestions {
  chatModels(): Promise<readonly string[]>;
  /** The same with prices and modalities, for choices that show them. */
  modelInfos(): Promise<readonly ModelInfo[]>;
}

export interface GatewayContext {
  readonly producer: JobSink;
  readonly models: ModelSuggestions;
  readonly log: Logger;
  /** The shared budget: the gateway's own calls (command registration, login) draw on it too. */
  readonly budget: RateBudget;
  /** Whether the bot has answered in a conversation (Slack: follow-ups in its threads). */
  readonly conversations: ConversationPresence;
  /** Tenants' settings, for a gateway whose choice of where an answer goes follows one. */
  readonly settings: Pick<SettingsSource, 'get'>;
  /** Where gateway processes share a platform's shards (the queue's store). */
  readonly shards: ShardCoordination;
}

export interface RunningGateway {
  /** HTTP routes the gateway serves on the service's PORT, by path (Slack's events). */
  readonly routes?: Readonly<Record<string, RequestListener>>;
  close(): Promise<void>;
}

export interface Platform {
  readonly name: string;
  /** The REST side, through which workers answer. */
  readonly surface: ChatSurface & InteractionSurface;
  /**
   * The surface for one tenant, where a tenant's calls need their own
   * credentials (Slack in OAuth mode: each workspace's bot token); unset:
   * `surface` serves every tenant.
   */
  surfaceFor?(tenantId: string): ChatSurface & InteractionSurface;
  /** How the platform offers commands, for answers that show them (/help). */
  readonly commandStyle: CommandStyle;
  /** Connects, registers the platform's commands, and turns its events into jobs. */
  startGateway(context: GatewayContext): Promise<RunningGateway>;
}

/** What the service gives every platform it creates. */
export interface PlatformServices {
  readonly log: Logger;
  readonly learning: RateLearning;
  /** Counts the platform API's responses by status (`platformRequest`). */
  readonly metrics?: Metrics;
  /** The service's database, for a platform that keeps its own rows (Slack's installations). */
  readonly db?: Db;
}

export interface PlatformEntry {
  readonly name: string;
  /** The platform, when the configuration enables it. */
  create(config: Config, services: PlatformServices): Platform | undefined;
}
