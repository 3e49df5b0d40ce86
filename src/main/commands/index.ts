// The command table. Adding a command = one file in this folder + one line here.
import type { Command } from '../command.js';
import { captureCommand } from './capture.js';
import { synthCommand } from './synth.js';

export const commands: Command[] = [
  captureCommand,
  synthCommand,
];
