import { createSocket, type Socket } from 'node:dgram';
import { parseDatagram, type Message, type PeerAddr } from '@chainsync/protocol';
import { waitFor } from './ports.js';

/** A UDP socket on 127.0.0.1 for tests: send messages, collect parsed replies. */
export class TestUdpClient {
  readonly received: { from: PeerAddr; msg: Message }[] = [];
  private constructor(
    readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (buf, rinfo) => {
      const r = parseDatagram(buf);
      if (r.ok) this.received.push({ from: { host: rinfo.address, port: rinfo.port }, msg: r.msg });
    });
  }

  static async open(port = 0): Promise<TestUdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return new TestUdpClient(socket, socket.address().port);
  }

  send(to: PeerAddr, msg: Message | Buffer | string): void {
    const data = Buffer.isBuffer(msg)
      ? msg
      : Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg));
    this.socket.send(data, to.port, to.host);
  }

  /** Waits for a received message matching `pred` and returns it. */
  waitFor<M extends Message>(pred: (msg: Message, from: PeerAddr) => boolean, timeoutMs = 5_000): Promise<M> {
    return waitFor(() => this.received.find((r) => pred(r.msg, r.from))?.msg as M | undefined, {
      timeoutMs,
      what: 'a UDP reply',
    });
  }

  close(): void {
    this.socket.close();
  }
}
