// The command table. Adding a command = one file in this folder + one line here.
import type { Command } from '../command.js';
import { queryCommand } from './query.js';

export const commands: Command[] = [queryCommand];
