import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUdpClient, waitFor } from '@chainsync/testing';
import type { PeerAddr } from '@chainsync/protocol';
import { openUdp, type UdpEndpoint } from './udp.js';

describe('openUdp (loopback only)', () => {
  let udp: UdpEndpoint;
  let client: TestUdpClient;
  const received: { data: string; from: PeerAddr }[] = [];

  beforeAll(async () => {
    udp = await openUdp({
      host: '127.0.0.1',
      port: 0,
      onMessage: (data, from) => received.push({ data: data.toString(), from }),
      onSocketError: () => undefined,
    });
    client = await TestUdpClient.open();
  });
  afterAll(async () => {
    client?.close();
    await udp?.close();
  });

  it('hands over datagrams with their UDP source and sends to an address', async () => {
    client.send({ host: '127.0.0.1', port: udp.port }, { type: 'STATS' });
    await waitFor(() => received.length > 0);
    expect(received[0]).toEqual({ data: '{"type":"STATS"}', from: { host: '127.0.0.1', port: client.port } });
    udp.send({ host: '127.0.0.1', port: client.port }, Buffer.from('{"type":"CONSENSUS"}'), () => undefined);
    expect(await client.waitFor((m) => m.type === 'CONSENSUS')).toEqual({ type: 'CONSENSUS' });
  });

  it('reports a failed send to the caller instead of throwing', async () => {
    const errors: string[] = [];
    udp.send({ host: '127.0.0.1', port: 0 }, Buffer.from('x'), (e) => errors.push(String(e)));
    udp.send({ host: '127.0.0.1', port: client.port }, Buffer.alloc(70_000), (e) => errors.push(String(e)));
    await waitFor(() => errors.length === 2);
    expect(errors).toHaveLength(2);
  });
});
