import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, isOurProgram, isRunning, parseStartTime, processId } from './proc-info.js';

describe('parseStartTime', () => {
  it('reads field 22, whatever the command name holds', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(parseStartTime(`42 (node) ${rest}`)).toBe(987654);
    expect(parseStartTime(`42 (a (b) c) ${rest}`)).toBe(987654);
    expect(parseStartTime('42 (x) S')).toBeNull();
  });
});

describe('isOurProgram', () => {
  it('knows a service main and nats-server, and nothing else', () => {
    expect(isOurProgram(['/usr/bin/node', '/srv/chainsync/apps/gossip/dist/main.js'])).toBe(true);
    expect(isOurProgram(['node', '--cpu-prof', 'apps/chain-store/dist/main.js'])).toBe(true);
    expect(isOurProgram(['/usr/bin/node', '/srv/chainsync/apps/gossip/dist/main.bundle.js'])).toBe(true);
    expect(isOurProgram(['/usr/sbin/nats-server', '-a', '127.0.0.1'])).toBe(true);
    expect(isOurProgram(['/usr/bin/node', '/srv/other/dist/main.js'])).toBe(false);
    expect(isOurProgram(['/usr/bin/node', '/srv/chainsync/apps/gossip/dist/main.js.bak'])).toBe(false);
    expect(isOurProgram(['sleep', '60'])).toBe(false);
    expect(isOurProgram([])).toBe(false);
  });
});

describe('processes from /proc', () => {
  it('tells a live process from a dead one and from a reused pid', async () => {
    const self = processId(process.pid)!;
    expect(self.startTime).toBeGreaterThan(0);
    expect(isRunning(self)).toBe(true);
    expect(isRunning({ pid: process.pid, startTime: self.startTime! + 1 })).toBe(false); // pid reused
    expect(commandLine(process.pid)[0]).toMatch(/node/);
    const child = spawn(process.execPath, ['-e', '']);
    const id = processId(child.pid!)!;
    await new Promise((r) => child.once('exit', r));
    expect(isRunning(id)).toBe(false);
  });
});
