// Plain-object helpers that are safe for any key, including "__proto__" and names of
// Object.prototype members ("valueOf", "constructor"), which appear in real and fuzzed events.

/** Sets an own, enumerable property (plain assignment to "__proto__" would change the prototype). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** The own property `key`, or undefined (never an inherited member). */
export function getOwn(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
