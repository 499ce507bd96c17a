import { Type, type TSchema } from '@sinclair/typebox';
import { BlockSchema, MAX_HEIGHT } from '@chainsync/protocol';
import { MAX_LATEST_BLOCKS } from './limits.js';

/**
 * JSON schemas of every api route. fastify validates requests against them (bad input → 400
 * with the reason) and serializes replies with them (nothing unlisted leaks out).
 */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const TipSchema = Type.Object({ height: Type.Integer(), hash: Nullable(Type.String()) });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
});

const ServiceHealthSchema = Type.Object({
  name: Type.String(),
  url: Type.String(),
  ready: Type.Boolean(),
  status: Nullable(Type.Integer()),
  failing: Type.Array(Type.String()),
  error: Nullable(Type.String()),
  checkedAt: Nullable(Type.Number()),
});

export const StatusSchema = Type.Object({
  name: Type.String(),
  height: Type.Integer(),
  tipHash: Nullable(Type.String()),
  target: Nullable(TipSchema),
  progress: Nullable(Type.Object({ done: Type.Integer(), total: Type.Integer() })),
  phase: Type.String(),
  peers: Type.Integer(),
  sources: Type.Integer(),
  blocksPerSecond: Type.Number(),
  etaSeconds: Nullable(Type.Number()),
  roundsCompleted: Type.Integer(),
  lastRoundAt: Nullable(Type.Number()),
  services: Type.Array(ServiceHealthSchema),
  errors: Type.Array(Type.String()),
  time: Type.Number(),
});

const PeerRowSchema = Type.Object({
  host: Type.String(),
  port: Type.Integer(),
  name: Type.String(),
  lastSeen: Type.Number(),
  firstSeen: Type.Number(),
  bootstrap: Type.Boolean(),
  lastSeenAgeSeconds: Type.Number(),
  score: Nullable(Type.Number()),
  inFlight: Type.Integer(),
  received: Type.Integer(),
  banned: Type.Boolean(),
});

export const PeersSchema = Type.Object({
  self: Nullable(Type.Object({ host: Type.String(), port: Type.Integer(), name: Type.String() })),
  peers: Type.Array(PeerRowSchema),
});

export const HeightParams = Type.Object({
  height: Type.Integer({ minimum: 0, maximum: MAX_HEIGHT }),
});

export const LatestQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_LATEST_BLOCKS, default: 10 }),
});

export const LatestSchema = Type.Object({ tip: TipSchema, blocks: Type.Array(BlockSchema) });

export const HistorySchema = Type.Object({
  samples: Type.Array(Type.Object({ t: Type.Number(), height: Type.Integer() })),
});

export { BlockSchema };

const EndpointRowSchema = Type.Object({
  name: Type.String(),
  subject: Type.String(),
  queueGroup: Type.String(),
  requests: Type.Number(),
  errors: Type.Number(),
  requestsPerSecond: Type.Number(),
  averageMs: Nullable(Type.Number()),
  lastError: Nullable(Type.String()),
});

export const InstancesSchema = Type.Object({
  prefix: Type.String(),
  checkedAt: Nullable(Type.Number()),
  instances: Type.Array(
    Type.Object({
      service: Type.String(),
      id: Type.String(),
      version: Type.String(),
      node: Type.String(),
      host: Type.String(),
      pid: Type.String(),
      ops: Type.String(),
      startedAt: Type.String(),
      uptimeSeconds: Type.Number(),
      status: Type.Union([Type.Literal('up'), Type.Literal('silent')]),
      lastSeenAgeSeconds: Type.Number(),
      requests: Type.Number(),
      errors: Type.Number(),
      requestsPerSecond: Type.Number(),
      errorsPerSecond: Type.Number(),
      averageMs: Nullable(Type.Number()),
      lastError: Nullable(Type.String()),
      endpoints: Type.Array(EndpointRowSchema),
    }),
  ),
});

const Convention = Nullable(Type.Union([Type.Literal('length'), Type.Literal('top_index')]));
const Chain = Nullable(
  Type.Union(['same', 'behind', 'fork', 'ahead', 'unknown'].map((c) => Type.Literal(c))),
);

export const NetworkSchema = Type.Object({
  tip: TipSchema,
  peers: Type.Array(
    Type.Object({
      host: Type.String(),
      port: Type.Integer(),
      name: Nullable(Type.String()),
      inTable: Type.Boolean(),
      bootstrap: Type.Boolean(),
      proven: Type.Boolean(),
      lastSeen: Nullable(Type.Number()),
      lastSeenAgeSeconds: Nullable(Type.Number()),
      claim: Nullable(
        Type.Object({ height: Type.Integer(), hash: Type.String(), ageSeconds: Type.Number() }),
      ),
      top: Nullable(Type.Integer()),
      convention: Convention,
      chain: Chain,
      served: Nullable(
        Type.Object({
          blocks: Type.Integer(),
          blocksPerSecond: Type.Number(),
          timeouts: Type.Integer(),
          at: Type.Number(),
        }),
      ),
      score: Type.Number(),
      faults: Type.Integer(),
      banned: Type.Boolean(),
    }),
  ),
  groups: Type.Array(
    Type.Object({ top: Type.Integer(), hash: Type.String(), chain: Chain, peers: Type.Array(Type.String()) }),
  ),
  agreed: Nullable(Type.Object({ top: Type.Integer(), hash: Type.String(), peers: Type.Integer() })),
  tallest: Nullable(Type.Integer()),
  history: Type.Array(
    Type.Object({
      t: Type.Number(),
      ours: Type.Integer(),
      agreed: Nullable(Type.Integer()),
      tallest: Nullable(Type.Integer()),
    }),
  ),
  errors: Type.Array(Type.String()),
  time: Type.Number(),
});
