/**
 * CHUTES_API_KEY, checked once at start by the processes that call Chutes: a
 * refused key is named in the log and in `/healthz` (its `chutes` check). It
 * does not stop the service: every answer already tells its asker.
 */
import type { Logger } from '../log.js';
import type { ChutesChatClient } from './chat-client.js';
import { ChutesError } from './errors.js';
import type { ModelInfo } from './model-info.js';

/**
 * The sentence for a refused key, or undefined when Chutes took it (or could
 * not be asked). The models list the check reads goes to `onListed` (the
 * model catalogue), so it is not fetched a second time at start.
 */
export async function checkChutesKey(
  chutes: Pick<ChutesChatClient, 'listModelInfos'>,
  log: Logger,
  onListed?: (infos: ModelInfo[]) => void,
): Promise<string | undefined> {
  try {
    onListed?.(await chutes.listModelInfos(undefined, { withKey: true }));
    return undefined;
  } catch (error) {
    if (error instanceof ChutesError && error.code === 'unauthorized') {
      const problem =
        `CHUTES_API_KEY was refused by Chutes (${error.status ?? 401}): create an API key on ` +
        'chutes.ai (API keys) and set CHUTES_API_KEY; until then every answer says Chutes rejected it';
      log.warn(problem);
      return problem;
    }
    // Chutes may be away for a moment: not a start-up failure, and the key may be right.
    log.warn(
      { err: error },
      'could not reach Chutes to check CHUTES_API_KEY; answers will say so if it is refused',
    );
    return undefined;
  }
}
