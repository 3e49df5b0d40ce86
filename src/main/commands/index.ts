// The command table. Adding a command = one file in this folder + one line here.
//
// Each command's module is imported only when that command runs: together they pull in every
// subsystem (sinks and their clients, the sensor, synth, coverage …), and Node's ES module loader
// pays per module, so importing all of them cost ~90 ms of every `kestrel replay` start-up.
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  load: () => Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'query', load: async () => (await import('./query.js')).queryCommand },
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'record', load: async () => (await import('./record.js')).recordCommand },
  { name: 'replay', load: async () => (await import('./replay.js')).replayCommand },
  { name: 'convert', load: async () => (await import('./convert.js')).convertCommand },
  { name: 'capture', load: async () => (await import('./capture.js')).captureCommand },
  { name: 'synth', load: async () => (await import('./synth.js')).synthCommand },
  { name: 'bench', load: async () => (await import('./bench.js')).benchCommand },
  { name: 'config', load: async () => (await import('./config.js')).configCommand },
  { name: 'coverage', load: async () => (await import('./coverage.js')).coverageCommand },
];
