// Bearer API keys with scopes, compared in constant time; keys are never logged or echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from '../config.js';
import { AppError } from '../errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Resolves Authorization headers to API keys and checks scopes. */
export class ApiKeyAuth {
  private readonly digests: { digest: Buffer; key: ApiKey }[];

  constructor(apiKeys: ApiKey[]) {
    this.digests = apiKeys.map((key) => ({ digest: digest(key.key), key }));
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /**
   * The key that may use `scope`, or an AppError (401 / 403). Every configured key is compared,
   * over fixed-length digests, so timing tells nothing about which or how much matched.
   */
  authorize(authorization: string | undefined, scope: Scope): ApiKey {
    const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!m?.[1]) throw new AppError('SG_ERR_UNAUTHORIZED', 'send an API key as "Authorization: Bearer <key>"');
    const presented = digest(m[1]);
    let found: ApiKey | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.key;
    }
    if (!found) throw new AppError('SG_ERR_UNAUTHORIZED', 'the API key is not valid');
    if (!found.scopes.has(scope) && !found.scopes.has('admin')) {
      throw new AppError('SG_ERR_FORBIDDEN', `this operation needs the "${scope}" scope`);
    }
    return found;
  }
}
