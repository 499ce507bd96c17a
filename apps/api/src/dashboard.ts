import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** The dashboard's files, beside `src/` and `dist/` in `apps/api/public/`. Read once at start. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/instances.js': { file: 'instances.js', type: 'text/javascript; charset=utf-8' },
  '/common.js': { file: 'common.js', type: 'text/javascript; charset=utf-8' },
  '/network.html': { file: 'network.html', type: 'text/html; charset=utf-8' },
  '/network.js': { file: 'network.js', type: 'text/javascript; charset=utf-8' },
};

/** Serves the dashboard and the network map: static HTML + vanilla JS that polls the api. No build step. */
export function registerDashboard(
  app: FastifyInstance,
  publicDir = new URL('../public/', import.meta.url),
): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, publicDir));
    app.get(path, (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
  app.get('/dashboard', (_req, reply) => reply.redirect('/'));
}
