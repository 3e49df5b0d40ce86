// Sink URLs → typed specs: every form, every option, names without secrets, exact error messages.
import { describe, expect, it } from 'vitest';
import { parseSinkUrl, parseSize, severityAtLeast } from '../src/main/sinks/parse-sink-url.js';
import { UsageError } from '../src/shared/errors.js';

function problem(text: string): string {
  try {
    parseSinkUrl(text);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseSinkUrl', () => {
  it('stdout', () => {
    expect(parseSinkUrl('stdout')).toEqual({ kind: 'stdout', name: 'stdout', minSeverity: 'low' });
    expect(parseSinkUrl('stdout?min_severity=high')).toEqual({ kind: 'stdout', name: 'stdout', minSeverity: 'high' });
    expect(parseSinkUrl('-').kind).toBe('stdout');
  });

  it('file', () => {
    expect(parseSinkUrl('file:/var/log/kestrel/alerts.ndjson?max_bytes=100MiB&keep=5&fsync=always&min_severity=medium')).toEqual({
      kind: 'file',
      name: 'file:/var/log/kestrel/alerts.ndjson',
      minSeverity: 'medium',
      path: '/var/log/kestrel/alerts.ndjson',
      maxBytes: 100 * 1024 * 1024,
      keep: 5,
      fsync: 'always',
    });
    expect(parseSinkUrl('file:alerts.ndjson')).toMatchObject({ path: 'alerts.ndjson', maxBytes: undefined, keep: 5, fsync: 'interval' });
    expect(parseSinkUrl('file:///abs/a.ndjson')).toMatchObject({ path: '/abs/a.ndjson', name: 'file:/abs/a.ndjson' });
  });

  it('webhook: options out of the request URL, credentials into a header, secrets out of the name', () => {
    const s = parseSinkUrl('https://bot:pa%40ss@hooks.example.com:8443/in?token=abc&team=sec&batch=50&timeout_ms=2000&min_severity=critical');
    expect(s).toEqual({
      kind: 'webhook',
      name: 'https://bot@hooks.example.com:8443/in?token=***&team=sec',
      minSeverity: 'critical',
      batch: 50,
      spoolMaxBytes: 256 * 1024 * 1024,
      url: 'https://hooks.example.com:8443/in?token=abc&team=sec',
      authorization: `Basic ${Buffer.from('bot:pa@ss').toString('base64')}`,
      timeoutMs: 2000,
    });
    expect(parseSinkUrl('http://127.0.0.1:8080/x#batch=5')).toMatchObject({ url: 'http://127.0.0.1:8080/x', batch: 5, name: 'http://127.0.0.1:8080/x', authorization: undefined, timeoutMs: 10_000 });
  });

  it('redis', () => {
    expect(parseSinkUrl('redis://user:secret@10.0.0.5:6380/kestrel:alerts?maxlen=5000&spool_max_bytes=1GiB')).toEqual({
      kind: 'redis',
      name: 'redis://user@10.0.0.5:6380/kestrel:alerts',
      minSeverity: 'low',
      batch: 100,
      spoolMaxBytes: 1024 ** 3,
      url: 'redis://user:secret@10.0.0.5:6380',
      stream: 'kestrel:alerts',
      maxlen: 5000,
    });
    expect(parseSinkUrl('redis://localhost/s')).toMatchObject({ url: 'redis://localhost:6379', maxlen: 100_000, name: 'redis://localhost:6379/s' });
  });

  it('nats', () => {
    expect(parseSinkUrl('nats://127.0.0.1:4222/kestrel.alerts?stream=ALERTS&min_severity=high')).toEqual({
      kind: 'nats',
      name: 'nats://127.0.0.1:4222/kestrel.alerts',
      minSeverity: 'high',
      batch: 100,
      spoolMaxBytes: 256 * 1024 * 1024,
      server: '127.0.0.1:4222',
      subject: 'kestrel.alerts',
      stream: 'ALERTS',
      user: undefined,
      pass: undefined,
      token: undefined,
    });
    expect(parseSinkUrl('nats://host/subj')).toMatchObject({ server: 'host:4222', stream: 'KESTREL_ALERTS' });
    expect(parseSinkUrl('nats://s3cr3t@host:4222/subj')).toMatchObject({ name: 'nats://host:4222/subj', token: 's3cr3t', user: undefined });
    expect(parseSinkUrl('nats://u:p@host:4222/subj')).toMatchObject({ name: 'nats://u@host:4222/subj', user: 'u', pass: 'p' });
  });

  it('the name does not change with options, so a spool survives an option change', () => {
    expect(parseSinkUrl('redis://h:1/s?maxlen=1').name).toBe(parseSinkUrl('redis://h:1/s?maxlen=2&min_severity=high').name);
    expect(parseSinkUrl('file:a?keep=1').name).toBe(parseSinkUrl('file:a').name);
  });

  it.each([
    ['', 'bad sink "": empty'],
    ['ftp://x/y', 'bad sink "ftp://x/y": unknown scheme ftp://'],
    ['alerts.ndjson', 'bad sink "alerts.ndjson": not a sink URL'],
    ['stdout?min_severity=urgent', 'bad sink "stdout?min_severity=urgent": min_severity must be one of low, medium, high, critical, not "urgent"'],
    ['stdout?keep=1', 'bad sink "stdout?keep=1": unknown option "keep" for a stdout sink'],
    ['file:', 'bad sink "file:": file: needs a path (file:alerts.ndjson)'],
    ['file://host/x', 'bad sink "file://host/x": file:// must be followed by an absolute path (file:///var/log/alerts.ndjson)'],
    ['file:a?max_bytes=lots', 'bad sink "file:a?max_bytes=lots": max_bytes must be a size of at least 1024 bytes such as 100MiB, not "lots"'],
    ['file:a?fsync=sometimes', 'bad sink "file:a?fsync=sometimes": fsync must be always, interval or never, not "sometimes"'],
    ['file:a?keep=1&keep=2', 'bad sink "file:a?keep=1&keep=2": option keep given twice'],
    ['redis://h:1', 'bad sink "redis://h:1": needs one stream name after the host (redis://127.0.0.1:6379/kestrel:alerts)'],
    ['redis://h:1/s?maxlen=0', 'bad sink "redis://h:1/s?maxlen=0": maxlen must be an integer from 1 to 1099511627776, not "0"'],
    ['redis://h:1/s?batch=0', 'bad sink "redis://h:1/s?batch=0": batch must be an integer from 1 to 10000, not "0"'],
    ['nats://h:1/a.*', 'bad sink "nats://h:1/a.*": the subject "a.*" must be a plain subject (no spaces or wildcards)'],
    ['nats://h:1/a?stream=no.dots', 'bad sink "nats://h:1/a?stream=no.dots": stream must be letters, digits, _ or -, not "no.dots"'],
    ['http://h/x?timeout_ms=5', 'bad sink "http://h/x?timeout_ms=5": timeout_ms must be an integer from 100 to 600000, not "5"'],
  ])('refuses %j', (text, message) => {
    expect(problem(text)).toBe(message);
  });

  it('sizes and severities', () => {
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('1.5MiB')).toBe(1.5 * 1024 * 1024);
    expect(parseSize('10MB')).toBe(10_000_000);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(severityAtLeast('high', 'medium')).toBe(true);
    expect(severityAtLeast('low', 'medium')).toBe(false);
  });
});
