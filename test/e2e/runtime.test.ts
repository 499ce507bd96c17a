import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_ARGS } from '@chainsync/service-kit';
import { repoRoot } from '@chainsync/testing';

/**
 * The project brings its own Node.js: the exact-pinned `node` devDependency, whose binary npm puts
 * first on PATH in every npm script (README, "Node.js"). These checks fail when the tests (and so
 * every service they start with `process.execPath`) run on some other node, or when the places
 * that name the runtime drift apart.
 */
const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const pinned = pkg.devDependencies.node!;
const major = pinned.split('.')[0];

describe('the runtime', () => {
  it('the tests run on the pinned Node.js', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.versions.node).toBe(pinned);
  });

  it('engines, @types/node and the image name the same major', () => {
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
    const froms = readFileSync(resolve(repoRoot, 'docker/Dockerfile'), 'utf8').match(/^FROM node:\S+/gm);
    expect(froms).toEqual([`FROM node:${major}`, `FROM node:${major}-bookworm-slim`]);
  });

  it("the image's entrypoint starts services with the same V8 options as the launcher", () => {
    const entrypoint = readFileSync(resolve(repoRoot, 'docker/entrypoint.sh'), 'utf8');
    expect(entrypoint).toContain(
      `exec node ${SERVICE_NODE_ARGS.join(' ')} "/app/apps/$service/dist/main.js"`,
    );
  });
});
