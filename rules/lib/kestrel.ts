// AssemblyScript side of the Kestrel user-rule ABI (docs/wasm-rules.md). Rules import these
// wrappers; the raw host functions take UTF-8 byte ranges in the module's memory.

@external("kestrel", "field_id")
declare function host_field_id(ptr: usize, len: i32): i32;
@external("kestrel", "has")
declare function host_has(id: i32): i32;
@external("kestrel", "get_str")
declare function host_get_str(id: i32, ptr: usize, len: i32): i32;
@external("kestrel", "get_i64")
declare function host_get_i64(id: i32): i64;
@external("kestrel", "get_f64")
declare function host_get_f64(id: i32): f64;
@external("kestrel", "alert")
declare function host_alert(ptr: usize, len: i32): void;

/** Id of a field path such as "process.name"; call it at top level so it runs once, at load. */
export function fieldId(path: string): i32 {
  const b = String.UTF8.encode(path);
  return host_field_id(changetype<usize>(b), b.byteLength);
}

export function has(id: i32): bool {
  return host_has(id) != 0;
}

// One reusable buffer for strings; grown when a value does not fit.
let buffer = new ArrayBuffer(256);

/** The field as a string, or null when the event has no string there. */
export function getStr(id: i32): string | null {
  let n = host_get_str(id, changetype<usize>(buffer), buffer.byteLength);
  if (n < 0) return null;
  if (n > buffer.byteLength) {
    buffer = new ArrayBuffer(n);
    n = host_get_str(id, changetype<usize>(buffer), n);
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buffer), <usize>n);
}

/** The field as an integer (0 when absent: check has() first). */
export function getI64(id: i32): i64 {
  return host_get_i64(id);
}

/** The field as a float (NaN when absent). */
export function getF64(id: i32): f64 {
  return host_get_f64(id);
}

/** Emits an alert for the current event with a short message (cut at 256 bytes). */
export function alert(message: string): void {
  const b = String.UTF8.encode(message);
  host_alert(changetype<usize>(b), b.byteLength);
}
