// The command table. Adding a command = one file in this folder + one line here.
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { captureCommand } from './capture.js';
import { checkCommand } from './check.js';
import { configCommand } from './config.js';
import { convertCommand } from './convert.js';
import { coverageCommand } from './coverage.js';
import { queryCommand } from './query.js';
import { recordCommand } from './record.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { synthCommand } from './synth.js';

export const commands: Command[] = [
  checkCommand, queryCommand, runCommand, recordCommand, replayCommand, convertCommand, captureCommand, synthCommand, benchCommand, configCommand, coverageCommand,
];
