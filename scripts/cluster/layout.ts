/**
 * Where `npm run stack:cluster` puts everything: ports of its own (every Temporal gRPC and
 * membership port in 7500-7599, so it never meets `npm start`'s 7233 or the tests' servers),
 * databases of its own, and the number of history shards. One object, so the config writer, the
 * stack and the test read the same numbers.
 */
export const clusterLayout = {
  /**
   * Fixed when the Temporal databases are first set up: a server with another count refuses to
   * start on them (drop them to change it, see the README).
   */
  historyShards: 4,
  temporal: {
    frontend: { grpcPort: 7533, membershipPort: 7563, httpPort: 7543 },
    history: { grpcPort: 7534, membershipPort: 7564 },
    matching: { grpcPort: 7535, membershipPort: 7565 },
    worker: { grpcPort: 7539, membershipPort: 7569 },
    /** Prometheus metrics of all four services. */
    metricsPort: 7590,
  },
  uiPort: 8533,
  /** The address the page and the load script use: a round-robin proxy in front of the APIs. */
  frontPort: 3510,
  apiPorts: [3511, 3512],
  workers: 2,
  projections: 2,
  databases: {
    /** Boxoffice's own stores (every store in one database, as `npm start` has them). */
    app: 'boxoffice_cluster',
    temporal: 'boxoffice_temporal',
    visibility: 'boxoffice_temporal_visibility',
  },
  /** Temporal's own Postgres role, owner of its two databases (not the superuser). */
  temporalRole: { user: 'boxoffice_temporal', password: 'boxoffice_temporal' },
  /**
   * Connections per Temporal service (frontend, history, matching, worker each open their own
   * pool): the local Postgres allows 100 for every helper and stack on the machine.
   */
  maxConns: { default: 5, visibility: 2 },
} as const;

export type ClusterLayout = typeof clusterLayout;

export const frontendAddress = (layout: ClusterLayout = clusterLayout): string => `127.0.0.1:${layout.temporal.frontend.grpcPort}`;
