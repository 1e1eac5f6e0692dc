/**
 * Faults a region can be given (docs/architecture.md, The sandbox): its gateway down, its replication paused, extra
 * latency on its gateway, replication and cross-region Invokes, its relay Invoke failing, its functions throttled,
 * its Cognito (the user pool or replica in its AWS region) impaired.
 * Each is healed on its own.
 */
import { parseDuration } from '../core/duration.js';
import { UserError } from '../core/errors.js';
import { closest } from '../core/suggest.js';

export const FAULT_KINDS = [
  'gateway-down',
  'replication-pause',
  'latency',
  'relay-error',
  'throttle',
  'cognito-down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type Fault =
  | { readonly kind: 'gateway-down' | 'replication-pause' | 'relay-error' | 'throttle' | 'cognito-down' }
  | { readonly kind: 'latency'; readonly ms: number };

export interface ActiveFault {
  readonly region: string;
  readonly fault: Fault;
  /** How the CLI writes it: gateway-down, latency=200, ... */
  readonly spec: string;
  readonly since: string;
}

export function formatFault(fault: Fault): string {
  return fault.kind === 'latency' ? `latency=${fault.ms}` : fault.kind;
}

const FAULT_FORMS = [
  'gateway-down',
  'replication-pause',
  'latency=DURATION',
  'relay-error',
  'throttle',
  'cognito-down',
];

/** "unknown fault x", with the fault probably meant (gateway_down -> gateway-down); exit 2 like a bad value. */
function unknownFault(spec: string, forms: readonly string[]): UserError {
  const name = spec.trim().replace(/=.*$/, '');
  const meant = closest(name, FAULT_KINDS);
  const form = meant === undefined ? undefined : forms.find((f) => f.startsWith(meant));
  return new UserError(`unknown fault "${spec}"`, {
    hint: `${form ? `did you mean ${form}? ` : ''}one of: ${forms.join(', ')}`,
    exitCode: 2,
  });
}

/**
 * Parses the CLI form: gateway-down | replication-pause | latency=DURATION (300ms, 1s; bare: ms) | relay-error |
 * throttle | cognito-down.
 */
export function parseFault(spec: string): Fault {
  const text = spec.trim();
  if (
    text === 'gateway-down' ||
    text === 'replication-pause' ||
    text === 'relay-error' ||
    text === 'throttle' ||
    text === 'cognito-down'
  )
    return { kind: text };
  const latency = /^latency(?:=(.*))?$/.exec(text);
  if (latency) {
    const example = { hint: 'e.g.: latency=200ms or latency=1s (a bare number is in ms)', exitCode: 2 };
    if (latency[1] === undefined) throw new UserError('latency needs a delay', example);
    let ms: number;
    try {
      ms = parseDuration(latency[1], 'ms');
    } catch {
      throw new UserError(`latency "${latency[1]}" is not a duration`, example);
    }
    if (ms < 1 || ms > 60_000) throw new UserError('latency must be 1ms to 60s', example);
    return { kind: 'latency', ms };
  }
  throw unknownFault(spec, FAULT_FORMS);
}

/** Parses a fault kind for heal (latency without a value is fine there). */
export function parseFaultKind(spec: string): FaultKind {
  const kind = spec.trim().replace(/=.*$/, '');
  if ((FAULT_KINDS as readonly string[]).includes(kind)) return kind as FaultKind;
  throw unknownFault(spec, FAULT_KINDS);
}

type Listener = (region: string) => void;

/** The live set of faults, per region; parts of the sandbox ask it and listen for changes. */
export class FaultRegistry {
  private readonly active = new Map<string, Map<FaultKind, ActiveFault>>();
  private readonly listeners = new Set<Listener>();

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  inject(region: string, fault: Fault): ActiveFault {
    const entry: ActiveFault = {
      region,
      fault,
      spec: formatFault(fault),
      since: new Date().toISOString(),
    };
    let faults = this.active.get(region);
    if (!faults) {
      faults = new Map();
      this.active.set(region, faults);
    }
    faults.set(fault.kind, entry);
    this.emit(region);
    return entry;
  }

  /** Heals one fault kind, or every fault of the region; returns what was healed. */
  heal(region: string, kind?: FaultKind): ActiveFault[] {
    const faults = this.active.get(region);
    if (!faults) return [];
    const healed = kind ? [faults.get(kind)].filter((f): f is ActiveFault => !!f) : [...faults.values()];
    for (const fault of healed) faults.delete(fault.fault.kind);
    if (faults.size === 0) this.active.delete(region);
    if (healed.length > 0) this.emit(region);
    return healed;
  }

  has(region: string, kind: FaultKind): boolean {
    return this.active.get(region)?.has(kind) ?? false;
  }

  latencyMs(region: string): number {
    const fault = this.active.get(region)?.get('latency')?.fault;
    return fault?.kind === 'latency' ? fault.ms : 0;
  }

  list(region?: string): ActiveFault[] {
    const regions = region ? [region] : [...this.active.keys()];
    return regions.flatMap((r) => [...(this.active.get(r)?.values() ?? [])]);
  }

  clearRegion(region: string): void {
    this.active.delete(region);
  }

  private emit(region: string): void {
    for (const listener of this.listeners) listener(region);
  }
}
