import { createSocket, type Socket } from 'node:dgram';

/**
 * An IPv4 UDP socket, with the kernel buffers sized when asked: a node receiving a burst of block
 * replies must not lose them to a default-sized (~200 KB) receive buffer.
 *
 * Tried and left out: a `lookup` that answers IP literals synchronously instead of through
 * `dns.lookup` — within noise per datagram here, and it makes `bind` emit 'listening'
 * synchronously, before a listener added after the call can see it.
 */
export function udpSocket(bufferBytes?: number): Socket {
  return createSocket({
    type: 'udp4',
    ...(bufferBytes ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {}),
  });
}
