// The host.* fields of every live record, read once at start: names from the kernel and
// /etc/os-release, host.id from /etc/machine-id (what Elastic Defend and systemd use), boot id.
import { readFileSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';

export interface HostInfo {
  hostname: string;
  /** /etc/machine-id; empty when the file is missing (minimal containers). */
  id: string;
  bootId: string;
  /** uname -r */
  kernel: string;
  /** uname -m spelling: x86_64, aarch64 … */
  architecture: string;
  /** From /etc/os-release: NAME, ID, first of ID_LIKE (or ID), VERSION_ID; empty when unknown. */
  osName: string;
  osPlatform: string;
  osFamily: string;
  osVersion: string;
}

const UNAME_MACHINE: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l' };

export function readHostInfo(etc = '/etc', proc = '/proc'): HostInfo {
  const os = parseOsRelease(readOr(`${etc}/os-release`, '') || readOr('/usr/lib/os-release', ''));
  const platform = os.get('ID') ?? '';
  return {
    hostname: hostname(),
    id: readOr(`${etc}/machine-id`, '').trim(),
    bootId: readOr(`${proc}/sys/kernel/random/boot_id`, '').trim(),
    kernel: release(),
    architecture: UNAME_MACHINE[arch()] ?? arch(),
    osName: os.get('NAME') ?? '',
    osPlatform: platform,
    osFamily: (os.get('ID_LIKE') ?? '').split(' ')[0] || platform,
    osVersion: os.get('VERSION_ID') ?? '',
  };
}

/** KEY=value lines; values may be double- or single-quoted. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
