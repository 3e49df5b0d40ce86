// Where Kestrel keeps state that must outlive a process (network sinks' spools): the
// `--spool-dir` flag, or the XDG state directory — /var/lib/kestrel under the systemd unit, which
// passes it in its config.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'kestrel', 'spool');
}
