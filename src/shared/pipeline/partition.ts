// Which partition owns a join key. Main routes by it and workers check it, so both must compute
// exactly the same function of the key VALUE (not of the field it came from): steps with different
// key fields (`[…] by process.parent.entity_id [ … ] by process.entity_id`) meet in one partition
// because their values are equal. Equality follows the engine's join-key identity: numbers and
// bigints with the same integer value are the same key; strings and numbers are not.
import type { Value } from '../engine/compiled.js';

export function keyToken(v: Value): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${v}`;
    case 'bigint':
      return `n${v}`;
    case 'boolean':
      return v ? 'b1' : 'b0';
    default:
      return v === null ? 'z' : `j${JSON.stringify(v)}`;
  }
}

/** FNV-1a over UTF-16 code units: cheap, deterministic, spreads entity ids well. */
export function hashToken(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function keyPartition(v: Value, partitions: number): number {
  return partitions === 1 ? 0 : hashToken(keyToken(v)) % partitions;
}

/** Single-event rules are stateless: each event is evaluated in exactly one partition. */
export function homePartition(seq: number, partitions: number): number {
  return seq % partitions;
}
