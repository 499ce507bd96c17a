import { MESSAGE_TYPES } from './messages.js';
import {
  SUBJECT_ACCESS,
  netInSubject,
  type BusRole,
  type EventSubject,
  type RequestSubject,
} from './subjects.js';

/**
 * A role's NATS permissions, in nats-server's configuration shape: what it may publish and
 * subscribe to. Replies need no publish right: `allow_responses` lets a client answer exactly
 * the requests delivered to it, once each, so no service can write into another's inbox.
 */
export interface BusPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses: true;
}

/** Where the service protocol (`nats micro`) asks every instance: `$SRV.PING|INFO|STATS[.name[.id]]`. */
export const SERVICE_API_PREFIX = '$SRV';
export const SERVICE_API_VERBS = ['PING', 'INFO', 'STATS'] as const;

/**
 * The reply subjects of a role's own requests (nats.js `inboxPrefix`). One per node and role, so
 * a client may subscribe only to the answers to its own role's requests, never to another's.
 */
export function inboxPrefix(prefix: string, role: BusRole): string {
  return `_INBOX.${prefix}.${role}`;
}

/** The name a role's instances answer the service protocol under (a NATS token: no dots). */
export function serviceApiName(role: BusRole): string {
  return role;
}

/** Subjects on which a service instance answers the service protocol. */
export function serviceApiSubjects(role: BusRole): string[] {
  const name = serviceApiName(role);
  return SERVICE_API_VERBS.flatMap((v) => [
    `${SERVICE_API_PREFIX}.${v}`,
    `${SERVICE_API_PREFIX}.${v}.${name}`,
    `${SERVICE_API_PREFIX}.${v}.${name}.*`,
  ]);
}

/** Roles that read the whole node, including every instance's service-protocol answers. */
const INSTANCE_READERS: readonly BusRole[] = ['api', 'observer'];

/** Pure: the permissions of `role` on the node whose subjects carry `prefix`, from SUBJECT_ACCESS. */
export function busPermissions(role: BusRole, prefix: string): BusPermissions {
  const p = (name: string) => `${prefix}.${name}`;
  const publish: string[] = [];
  const subscribe: string[] = [];
  const { requests, events, netIn } = SUBJECT_ACCESS;

  let calls = false;
  for (const [name, access] of Object.entries(requests) as [
    RequestSubject,
    (typeof requests)[RequestSubject],
  ][]) {
    if (access.serves === role) subscribe.push(p(name));
    if (access.callers.includes(role)) {
      publish.push(p(name));
      calls = true;
    }
  }
  for (const [name, access] of Object.entries(events) as [EventSubject, (typeof events)[EventSubject]][]) {
    if (access.publishers.includes(role)) publish.push(p(name));
    if (access.listeners.includes(role)) subscribe.push(p(name));
  }
  if (netIn.publisher === role) publish.push(p('net.in.>'));
  for (const type of MESSAGE_TYPES) {
    if (netIn.listeners[type].includes(role)) subscribe.push(p(netInSubject(type)));
  }

  // Every instance answers the service protocol; readers ask it.
  if (role !== 'observer') subscribe.push(...serviceApiSubjects(role));
  if (INSTANCE_READERS.includes(role)) {
    publish.push(
      ...SERVICE_API_VERBS.flatMap((v) => [`${SERVICE_API_PREFIX}.${v}`, `${SERVICE_API_PREFIX}.${v}.>`]),
    );
    calls = true;
  }
  if (calls) subscribe.push(`${inboxPrefix(prefix, role)}.>`);
  return { publish: { allow: publish }, subscribe: { allow: subscribe }, allow_responses: true };
}
