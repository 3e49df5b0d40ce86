// A reader that stops early (`kestrel query … | head`, `kestrel run | head -1`) closes our stdout.
// That ends the output; it is not an error worth a stack trace. Most commands simply exit 0 then,
// but a command holding state that must be closed (run's --record capture, its pending alerts)
// registers a handler here and shuts down cleanly instead.
type Handler = () => void;

const handlers = new Set<Handler>();

/** Calls `h` (instead of exiting) when stdout turns out to be closed; returns the unregister call. */
export function onStdoutClosed(h: Handler): () => void {
  handlers.add(h);
  return () => handlers.delete(h);
}

/** What the process does on EPIPE from stdout: tell the handlers, or exit 0 if there are none. */
export function stdoutClosed(): void {
  if (handlers.size === 0) process.exit(0);
  for (const h of [...handlers]) h();
}
