import type { Socket } from 'node:dgram';
import { udpSocket } from '@chainsync/service-kit';
import type { PeerAddr } from '@chainsync/protocol';
import { SOCKET_BUFFER_BYTES } from './limits.js';

export interface UdpEndpoint {
  /** The bound port (differs from the requested one when that was 0). */
  port: number;
  send(to: PeerAddr, data: Uint8Array, onError: (err: Error) => void): void;
  close(): Promise<void>;
}

/**
 * The UDP socket: binds, hands every datagram to `onMessage`, sends. A send error (unreachable
 * host, unresolvable name, bad address) goes to the caller's `onError`; nothing here throws.
 */
export async function openUdp(opts: {
  host: string;
  port: number;
  onMessage: (data: Buffer, from: PeerAddr) => void;
  onSocketError: (err: Error) => void;
}): Promise<UdpEndpoint> {
  const socket: Socket = udpSocket(SOCKET_BUFFER_BYTES);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', opts.onSocketError);
  socket.on('message', (data, rinfo) => opts.onMessage(data, { host: rinfo.address, port: rinfo.port }));
  return {
    port: socket.address().port,
    send(to, data, onError) {
      try {
        socket.send(data, to.port, to.host, (err) => {
          if (err) onError(err);
        });
      } catch (err) {
        onError(err as Error);
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
