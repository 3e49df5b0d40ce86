// A `kestrel run` child for live tests that read its alerts from a file: started, and awaited until
// the sensor is watching; stderr is collected for messages.
import { spawn } from 'node:child_process';

export async function startKestrelRun(args: string[]) {
  const run = spawn(process.execPath, ['bin/kestrel', 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const io = { stderr: '' };
  run.stderr.setEncoding('utf8').on('data', (d: string) => (io.stderr += d));
  const exited = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
  for (const deadline = Date.now() + 30_000; !io.stderr.includes('watching this host'); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`kestrel run did not start: ${io.stderr}`);
  }
  return { run, io, exited };
}
