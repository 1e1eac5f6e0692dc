/** The sockets a process listens on (TCP LISTEN and bound UDP), read from /proc as `ss -lntup` does. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const bytes = Buffer.from(hex, 'hex').reverse();
    return [...bytes].join('.');
  }
  // IPv6: four little-endian 32-bit words.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = Buffer.concat(words.map((w) => Buffer.from(w, 'hex').reverse()));
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return [...bytes.subarray(12)].join('.');
  }
  const groups = (bytes.toString('hex').match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, ''));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Every listening socket of these processes. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const inodes = new Set(pids.flatMap((pid) => [...socketInodes(pid)]));
  const found: ListeningSocket[] = [];
  for (const [file, protocol] of [
    ['tcp', 'tcp'],
    ['tcp6', 'tcp'],
    ['udp', 'udp'],
    ['udp6', 'udp'],
  ] as const) {
    const lines = readFileSync(`/proc/net/${file}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      const [addr, port] = cols[1].split(':');
      const state = cols[3];
      const inode = cols[9];
      // TCP 0A is LISTEN; a bound UDP socket is 07 with no remote address.
      const listening = protocol === 'tcp' ? state === '0A' : /^0+:0000$/.test(cols[2]);
      if (listening && inodes.has(inode)) {
        found.push({ protocol, address: decodeAddress(addr), port: Number.parseInt(port, 16) });
      }
    }
  }
  return found;
}
