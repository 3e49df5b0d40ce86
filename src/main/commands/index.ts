// The command table. Adding a command = one file in this folder + one line here.
import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { queryCommand } from './query.js';

export const commands: Command[] = [checkCommand, queryCommand];
