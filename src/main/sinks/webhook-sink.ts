// Webhook transport: each batch is one POST of a JSON array of alerts.
//
// The body is built by joining the spooled lines (each already a JSON object), so an alert is
// never parsed or re-serialized on its way out. Any 2xx acknowledges the whole batch; anything
// else — another status, a refused connection, a timeout — is a failed attempt and the same batch
// is sent again later. A 4xx is retried too (the receiver may be misconfigured for a while, and
// dropping alerts is worse than retrying), but it is logged as an error with the start of the
// response, since it rarely heals by itself.
import { Agent, request } from 'undici';
import { logger } from '../../shared/log.js';
import type { Transport } from './network-sink.js';
import type { WebhookSinkSpec } from './parse-sink-url.js';
import type { OutgoingAlert } from './types.js';

/** Bytes of an error response kept for the log line. */
const BODY_PREVIEW = 300;
/** A 4xx is logged at most this often. */
const CLIENT_ERROR_LOG_MS = 30_000;

export class WebhookTransport implements Transport {
  private readonly agent: Agent;
  private lastClientErrorLog = 0;

  constructor(private readonly spec: WebhookSinkSpec) {
    this.agent = new Agent({
      connect: { timeout: spec.timeoutMs },
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
      keepAliveTimeout: 4000,
    });
  }

  async send(alerts: readonly OutgoingAlert[], signal: AbortSignal): Promise<void> {
    const body = `[${alerts.map((a) => a.line).join(',')}]`;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'kestrel' };
    if (this.spec.authorization) headers.authorization = this.spec.authorization;
    const res = await request(this.spec.url, { method: 'POST', body, headers, signal, dispatcher: this.agent });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return;
    }
    let preview = '';
    try {
      preview = (await res.body.text()).slice(0, BODY_PREVIEW);
    } catch {
      // the status is what matters
    }
    if (res.statusCode >= 400 && res.statusCode < 500 && Date.now() - this.lastClientErrorLog >= CLIENT_ERROR_LOG_MS) {
      this.lastClientErrorLog = Date.now();
      logger().error({ sink: this.spec.name, status: res.statusCode, body: preview }, 'webhook refused the alerts (4xx); retrying — check the URL and credentials');
    }
    throw new Error(`HTTP ${res.statusCode}${preview ? `: ${preview.slice(0, 100)}` : ''}`);
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
