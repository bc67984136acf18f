// A query named on the command line by id or by name, as the id the API wants.
import { listQueries, request, StreamgateError, type QueryInfo } from '@streamgate/client';
import type { Connection } from './config.js';

export async function resolveQuery(conn: Connection, idOrName: string): Promise<QueryInfo> {
  if (/^q_[0-9a-f]{16}$/.test(idOrName)) return request<QueryInfo>(conn, 'GET', `/v1/queries/${idOrName}`);
  const matches = (await listQueries(conn)).filter((q) => q.name === idOrName);
  if (matches.length === 1) return matches[0]!;
  throw new StreamgateError({
    status: 404,
    code: 'SG_ERR_QUERY_NOT_FOUND',
    detail: matches.length ? `${matches.length} queries are named ${idOrName}: use an id (${matches.map((q) => q.id).join(', ')})` : `no query has the id or name ${idOrName}`,
  });
}
