/** Bounds of the api, each with the reason for its number. */

/** How often the api samples the node (height for the sparkline, gauges): the dashboard polls at 1 Hz. */
export const SAMPLE_INTERVAL_MS = 1_000;
/** Height samples kept for the sync-rate sparkline: five minutes at 1 Hz is enough to see a trend. */
export const MAX_HISTORY_SAMPLES = 300;
/** How often each service's `/readyz` is probed; health older than a few seconds is still useful. */
export const PROBE_INTERVAL_MS = 2_000;
/** A `/readyz` slower than this counts as down: ops servers answer in well under a millisecond. */
export const PROBE_TIMEOUT_MS = 1_500;
/** Services listed in SERVICE_READYZ: a node has five kinds; 32 leaves room for named replicas. */
export const MAX_PROBED_SERVICES = 32;
/** A bus request from a route waits at most this long, so an HTTP client never hangs on a dead service. */
export const BUS_TIMEOUT_MS = 2_000;
/** `GET /blocks?limit=` cap: the dashboard shows ten; fifty bounds the reply at ~25 KB. */
export const MAX_LATEST_BLOCKS = 50;
/** How often the api asks every instance for its stats (`$SRV.STATS`): as often as it probes /readyz. */
export const INSTANCE_POLL_MS = 2_000;
/** How long it collects answers: an instance on another host answers within a round trip or two. */
export const INSTANCE_WAIT_MS = 500;
/** An instance silent this long is dropped from the list (it shows as `silent` until then). */
export const INSTANCE_FORGET_MS = 30_000;
/** Instances kept: 64 validators on each of a few hosts, with room; each row is ~1 KB. */
export const MAX_INSTANCES = 256;

/**
 * The network map's height series (ours, the agreed tip, the tallest claim): a sample every 5 s
 * (claims change once a round, every 120 s, or with a block) for an hour, 720 points (~30 KB).
 */
export const NETWORK_SAMPLE_INTERVAL_MS = 5_000;
export const MAX_NETWORK_SAMPLES = 720;
