// Redis Streams transport: each batch is one pipeline of XADDs.
//
//   XADD <stream> MAXLEN ~ <maxlen> * id <alert id> rule <rule id> severity <sev> alert <line>
//
// The client is made for a spool in front of it: `disableOfflineQueue` makes a command sent while
// the server is away fail at once (the spool already holds the alert; a second, in-memory queue
// would only hide the outage), and the client reconnects by itself on a capped backoff. Its
// 'error' events (every refused reconnect emits one) are only logged, never thrown.
import { createClient, type RedisClientType } from 'redis';
import { logger } from '../../shared/log.js';
import type { Transport } from './network-sink.js';
import type { RedisSinkSpec } from './parse-sink-url.js';
import type { OutgoingAlert } from './types.js';

/** Reconnect delay: 100 ms doubling, capped here. */
const RECONNECT_CAP_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
/** Connection errors are logged at most this often (a reconnect loop emits one per try). */
const ERROR_LOG_MS = 30_000;

export class RedisTransport implements Transport {
  private readonly client: RedisClientType;
  private lastErrorLog = 0;
  private closed = false;

  constructor(private readonly spec: RedisSinkSpec) {
    this.client = createClient({
      url: spec.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** Math.min(retries, 16), RECONNECT_CAP_MS),
      },
    }) as RedisClientType;
    this.client.on('error', (e: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog < ERROR_LOG_MS) return;
      this.lastErrorLog = now;
      logger().warn({ sink: spec.name, err: e.message }, 'redis connection error; reconnecting');
    });
    // connect() resolves once connected and retries by itself until then (or until close):
    // a server that is down at start-up delays delivery, never start-up.
    this.client.connect().catch((e: Error) => {
      if (!this.closed) logger().error({ sink: spec.name, err: e.message }, 'redis client gave up connecting');
    });
  }

  async send(alerts: readonly OutgoingAlert[], signal: AbortSignal): Promise<void> {
    if (!this.client.isReady) throw new Error('not connected to redis');
    const maxlen = String(this.spec.maxlen);
    const pipeline = this.client.withAbortSignal(signal).multi();
    for (const a of alerts) {
      pipeline.addCommand(['XADD', this.spec.stream, 'MAXLEN', '~', maxlen, '*', 'id', a.id, 'rule', a.ruleId, 'severity', a.severity, 'alert', a.line]);
    }
    // Rejects (MultiErrorReply) when any XADD failed: the whole batch is retried.
    await pipeline.execAsPipeline();
  }

  async close(): Promise<void> {
    this.closed = true;
    // destroy, not close: anything in flight is in the spool and will be sent again.
    this.client.destroy();
  }
}
