import { Type } from '@sinclair/typebox';
import { RateLimitedLog, runService } from '@chainsync/service-kit';
import { registerDashboard } from './dashboard.js';
import { HealthProbe } from './health-probe.js';
import { InstanceWatch } from './instance-watch.js';
import { NETWORK_SAMPLE_INTERVAL_MS, SAMPLE_INTERVAL_MS } from './limits.js';
import { NodeView } from './node-view.js';
import { registerApiRoutes } from './routes.js';
import { DEFAULT_SERVICE_URLS, parseServiceUrls, SERVICE_URLS_PATTERN } from './service-urls.js';

/**
 * api — read-only HTTP view of one node: `/status`, `/peers`, `/network`, `/blocks/:height`, `/instances`
 * (every replica of every service, from the NATS service protocol), the dashboard,
 * and the usual `/healthz` `/readyz` `/metrics`, all on one port (HTTP_PORT, default 8080).
 * Everything it shows is read over NATS; each service's health comes from its `/readyz`.
 */

// HTTP_PORT is the name operators expect for a web port; it is the api's ops port.
if (process.env.HTTP_PORT) process.env.OPS_PORT = process.env.HTTP_PORT;

let view: NodeView | undefined;
let health: HealthProbe | undefined;
let instances: InstanceWatch | undefined;

await runService({
  name: 'api',
  config: Type.Object({
    SERVICE_READYZ: Type.String({
      default: DEFAULT_SERVICE_URLS,
      pattern: SERVICE_URLS_PATTERN,
      description: 'a list name=http://host:port/readyz,… (or none)',
    }),
  }),
  defaultOpsPort: 8080,
  routes(app, { config, metrics, log }) {
    health = new HealthProbe(parseServiceUrls(config.SERVICE_READYZ));
    view = new NodeView(config.NODE_NAME, health, metrics);
    instances = new InstanceWatch(config.NODE_PREFIX, metrics, new RateLimitedLog(log));
    registerApiRoutes(app, view);
    instances.register(app);
    registerDashboard(app);
  },
  async start({ bus, onClose }) {
    if (!view || !health) throw new Error('routes were not registered');
    view.bus = bus;
    health.start();
    instances?.start(bus);
    const v = view;
    void v.sample();
    const timer = setInterval(() => void v.sample(), SAMPLE_INTERVAL_MS);
    void v.sampleNetwork();
    const networkTimer = setInterval(() => void v.sampleNetwork(), NETWORK_SAMPLE_INTERVAL_MS);
    onClose(() => {
      clearInterval(timer);
      clearInterval(networkTimer);
      health?.stop();
      instances?.stop();
    });
  },
});
