import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The file that runs a service (`apps/<app>/dist/…`): its one-file bundle when the build made one
 * (scripts/bundle-service.mjs: it loads in ~60 % of the CPU time of the ~400 modules it holds,
 * which matters when five services start at once on two cores), else tsc's `main.js`.
 */
export function serviceEntry(repoRoot: string, app: string): string {
  const bundle = join(repoRoot, 'apps', app, 'dist', 'main.bundle.js');
  return existsSync(bundle) ? bundle : join(repoRoot, 'apps', app, 'dist', 'main.js');
}
