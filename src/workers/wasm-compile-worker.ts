// Piscina task: instrument a module and compile it, off the main thread. Errors come back as data
// (a structured clone would turn a KestrelError into a plain Error and lose its code).
import { KestrelError } from '../shared/errors.js';
import { instrumentModule, type InstrumentOptions } from '../shared/wasm/instrument.js';

export interface CompileTask {
  bytes: Uint8Array;
  options: InstrumentOptions;
}

export type CompileTaskResult =
  | { ok: true; module: WebAssembly.Module; instrumented: Uint8Array }
  | { ok: false; error: { kind: string; code: string; message: string; context?: Record<string, unknown> } };

export default async function compileTask(task: CompileTask): Promise<CompileTaskResult> {
  let instrumented: Uint8Array;
  try {
    instrumented = instrumentModule(task.bytes, task.options);
  } catch (e) {
    if (!(e instanceof KestrelError)) throw e;
    return { ok: false, error: { kind: e.kind, code: e.code, message: e.message, context: e.context } };
  }
  // A compiled Module is cloneable to other threads of this process: the pool posts it back.
  return { ok: true, module: await WebAssembly.compile(instrumented), instrumented };
}
