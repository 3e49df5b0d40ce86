// The HTTP endpoint Prometheus scrapes: /metrics (text exposition), /healthz (the process
// answers: liveness) and /readyz (sensor attached, rules loaded, workers running: readiness, 503
// with the failing checks otherwise), as Kubernetes probes and Prometheus exporters expect.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../shared/errors.js';
import type { Registry } from 'prom-client';

export type ReadinessChecks = () => Record<string, boolean>;

export interface MetricsServer {
  /** "HOST:PORT" actually bound (port 0 → the port the kernel picked). */
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(host: string, port: number, registry: Registry, ready: ReadinessChecks): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const checks = ready();
      const ok = Object.values(checks).every(Boolean);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: ok, checks }) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new InputError('metrics.listen', `cannot serve metrics on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`, { cause: e })),
    );
    server.listen(port, host, () => resolve());
  });
  // A scrape in flight must not keep a finished replay alive.
  server.unref();
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
