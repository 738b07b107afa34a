/**
 * Who someone is in a workspace (users.info), remembered briefly: display
 * names for the model and the audit log, admin rights for /settings.
 */
import type { WebClient } from '@slack/web-api';

export interface SlackPerson {
  readonly id: string;
  readonly name: string;
  /** Workspace admin or owner: may change the settings. */
  readonly isAdmin: boolean;
  readonly isBot: boolean;
}

/** Admin rights change rarely; a minute keeps users.info well inside its tier. */
const TTL_MS = 60_000;
/** Bounded, so the gateway's memory stays flat in a workspace of any size. */
const MAX_ENTRIES = 5_000;

export class SlackPeople {
  private readonly cache = new Map<
    string,
    { person: Promise<SlackPerson>; until: number; known?: SlackPerson }
  >();

  constructor(
    private readonly client: WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  get(userId: string): Promise<SlackPerson> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > this.now()) return hit.person;
    const person = this.lookUp(userId);
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    const entry: { person: Promise<SlackPerson>; until: number; known?: SlackPerson } = {
      person,
      until: this.now() + TTL_MS,
    };
    this.cache.set(userId, entry);
    person.then(
      (found) => (entry.known = found),
      // A failed look-up is not remembered.
      () => this.cache.get(userId) === entry && this.cache.delete(userId),
    );
    return person;
  }

  /** Someone already looked up and still fresh, without a call: for paths that must not wait. */
  known(userId: string): SlackPerson | undefined {
    const hit = this.cache.get(userId);
    return hit && hit.until > this.now() ? hit.known : undefined;
  }

  /** Display names of several people; anyone who cannot be looked up is left out. */
  async names(userIds: readonly string[]): Promise<Map<string, string>> {
    const found = await Promise.all(
      userIds.map((id) =>
        this.get(id).then(
          (p) => [id, p.name] as const,
          () => undefined,
        ),
      ),
    );
    return new Map(found.filter((entry) => entry !== undefined));
  }

  private async lookUp(userId: string): Promise<SlackPerson> {
    const { user } = await this.client.users.info({ user: userId });
    const name =
      user?.profile?.display_name?.trim() ||
      user?.profile?.real_name?.trim() ||
      user?.real_name?.trim() ||
      user?.name?.trim() ||
      userId;
    return {
      id: userId,
      name: name.slice(0, 200),
      isAdmin: Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner),
      isBot: Boolean(user?.is_bot),
    };
  }
}
