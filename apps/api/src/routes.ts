import type { FastifyInstance } from 'fastify';
import { ApiError, type NodeView } from './node-view.js';
import {
  BlockSchema,
  ErrorSchema,
  HeightParams,
  HistorySchema,
  LatestQuery,
  LatestSchema,
  NetworkSchema,
  PeersSchema,
  StatusSchema,
} from './schemas.js';

/** The read-only api: `/status`, `/peers`, `/network`, `/blocks`, `/blocks/:height`, `/history`. */
export function registerApiRoutes(app: FastifyInstance, view: NodeView): void {
  app.setErrorHandler(
    (err: Error & { statusCode?: number; code?: string; validation?: unknown }, _req, reply) => {
      if (err instanceof ApiError)
        return reply.code(err.statusCode).send({ error: err.code, message: err.message });
      if (err.validation) return reply.code(400).send({ error: 'bad_request', message: err.message });
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) app.log.error({ err }, 'api route failed');
      return reply.code(status).send({ error: err.code ?? 'internal', message: err.message });
    },
  );
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  const errors = { 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };

  app.get('/status', { schema: { response: { 200: StatusSchema, ...errors } } }, () => view.status());

  app.get('/peers', { schema: { response: { 200: PeersSchema, ...errors } } }, () => view.peers());

  app.get('/network', { schema: { response: { 200: NetworkSchema, ...errors } } }, () => view.network());

  app.get<{ Querystring: { limit: number } }>(
    '/blocks',
    { schema: { querystring: LatestQuery, response: { 200: LatestSchema, ...errors } } },
    (req) => view.latestBlocks(req.query.limit),
  );

  app.get<{ Params: { height: number } }>(
    '/blocks/:height',
    { schema: { params: HeightParams, response: { 200: BlockSchema, ...errors } } },
    async (req, reply) => {
      const block = await view.block(req.params.height);
      if (!block)
        return reply
          .code(404)
          .send({ error: 'not_found', message: `no block at height ${req.params.height}` });
      return block;
    },
  );

  app.get('/history', { schema: { response: { 200: HistorySchema } } }, () => ({
    samples: view.history.all(),
  }));
}
