#!/usr/bin/env python3
"""Delay for the test network's links (libs/testing/src/netns.ts), where the kernel has no netem.

Runs inside the network's switch namespace. iptables there sends each shaped link's packets
(bridged IPv4, seen by the FORWARD chain through br_netfilter) to an NFQUEUE; this program holds
each packet for the link's delay (plus a uniform jitter) and then gives the kernel its verdict,
ACCEPT, so the very packet goes on unchanged: same addresses, same ports, same bytes. Loss and
cuts are plain iptables rules and never reach this program.

Talks NETLINK_NETFILTER directly (the standard library's AF_NETLINK socket), so it needs nothing
but python3. Commands arrive on stdin, one JSON object a line:
  {"queue": 3, "delayMs": 50, "jitterMs": 5}   bind queue 3 (or change its delay); answers "bound 3"
EOF on stdin (the owner is gone) ends it; packets still held are released first.
"""
import heapq
import json
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
SO_RCVBUFFORCE = 33
NFNL_SUBSYS_QUEUE = 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
CFG_CMD, CFG_PARAMS, CFG_QUEUE_MAXLEN, CFG_MASK, CFG_FLAGS = 1, 2, 3, 4, 5
CMD_BIND = 1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_ACCEPT = 1
COPY_META = 1
# When the queue is full the kernel lets packets through rather than dropping them: this program
# adds delay, never loss it was not asked for.
F_FAIL_OPEN = 1
# Packets one queue may hold: a link at 20 000 packets/s with 1 s of delay.
QUEUE_MAXLEN = 20000

sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
sock.bind((0, 0))
seq = 0


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack('=HH', n, kind) + payload + b'\0' * ((4 - n % 4) % 4)


def send(msg_type, queue, attrs, flags=NLM_F_REQUEST):
    global seq
    seq += 1
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    header = struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, seq, 0)
    sock.send(header + body)


def bind(queue):
    send(MSG_CONFIG, queue, [attr(CFG_CMD, struct.pack('!BBH', CMD_BIND, 0, socket.AF_INET))],
         NLM_F_REQUEST | NLM_F_ACK)
    send(MSG_CONFIG, queue, [attr(CFG_PARAMS, struct.pack('!IB', 0, COPY_META)),
                             attr(CFG_QUEUE_MAXLEN, struct.pack('!I', QUEUE_MAXLEN)),
                             attr(CFG_MASK, struct.pack('!I', F_FAIL_OPEN)),
                             attr(CFG_FLAGS, struct.pack('!I', F_FAIL_OPEN))], NLM_F_REQUEST | NLM_F_ACK)


def accept(queue, packet_id):
    send(MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, packet_id))])


links = {}  # queue -> (delay s, jitter s)
held = []  # heap of (release time, seq, queue, packet id)
arrivals = 0


def on_netlink(data, now):
    global arrivals
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, off)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            err = struct.unpack_from('=i', data, off + 16)[0]
            if err != 0:
                print('netlink error %d' % err, file=sys.stderr, flush=True)
        elif kind == (NFNL_SUBSYS_QUEUE << 8) | MSG_PACKET:
            queue = socket.ntohs(struct.unpack_from('=H', data, off + 18)[0])
            at = off + 20
            while at + 4 <= off + length:
                alen, akind = struct.unpack_from('=HH', data, at)
                if alen < 4:
                    break
                if akind & 0x7FFF == NFQA_PACKET_HDR:
                    packet_id = struct.unpack_from('!I', data, at + 4)[0]
                    delay, jitter = links.get(queue, (0.0, 0.0))
                    arrivals += 1
                    release = now + max(0.0, delay + random.uniform(-jitter, jitter))
                    heapq.heappush(held, (release, arrivals, queue, packet_id))
                at += (alen + 3) & ~3
        off += (length + 3) & ~3


def on_command(line):
    cmd = json.loads(line)
    queue = int(cmd['queue'])
    if queue not in links:
        bind(queue)
    links[queue] = (max(0, cmd.get('delayMs', 0)) / 1000.0, max(0, cmd.get('jitterMs', 0)) / 1000.0)
    print('bound %d' % queue, flush=True)


def read_netlink():
    while True:
        try:
            data = sock.recv(1 << 20, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError as err:  # ENOBUFS: we fell behind; the kernel's fail-open covers the rest
            print('netlink recv: %s' % err, file=sys.stderr, flush=True)
            return
        on_netlink(data, time.monotonic())


def release_due(now):
    while held and held[0][0] <= now:
        _, _, queue, packet_id = heapq.heappop(held)
        accept(queue, packet_id)


def main():
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select([sock, sys.stdin], [], [], timeout)
        if sock in ready:
            read_netlink()
        if sys.stdin in ready:
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip():
                on_command(line)
        release_due(time.monotonic())
    # The owner is gone: let everything still held go rather than strand it.
    release_due(float('inf'))


if __name__ == '__main__':
    main()
