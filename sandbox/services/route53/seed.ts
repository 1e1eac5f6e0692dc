/**
 * A health check's config as Route 53's API holds it, and a seeded region's checks built from the deployed
 * system's model (core/deployment/route53.ts): the sandbox serves exactly the config the stacks deploy. Its
 * checkers only run faster (the sandbox's interval and failure threshold, sandbox/options.ts), and an endpoint
 * check's name resolves to the region's gateway on loopback (./store.ts probeTarget), spoken in plain HTTP.
 */
import type { HealthCheckModel } from '../../../core/deployment/route53.js';
import type { InsufficientDataHealthStatus } from './derived-checks.js';

export interface HealthCheckConfig {
  IPAddress?: string;
  Port?: number;
  Type: string;
  ResourcePath?: string;
  FullyQualifiedDomainName?: string;
  SearchString?: string;
  RequestInterval: number;
  FailureThreshold: number;
  MeasureLatency: boolean;
  Inverted: boolean;
  Disabled: boolean;
  EnableSNI?: boolean;
  Regions?: string[];
  /** CLOUDWATCH_METRIC: the alarm it follows, and what INSUFFICIENT_DATA counts as. */
  AlarmIdentifier?: { Region: string; Name: string };
  InsufficientDataHealthStatus?: InsufficientDataHealthStatus;
  /** CALCULATED: its children and how many of them must be healthy. */
  ChildHealthChecks?: string[];
  HealthThreshold?: number;
}

/** The fields Route 53 fills in for a check that probes nothing (CLOUDWATCH_METRIC, CALCULATED). */
const DERIVED_DEFAULTS = {
  RequestInterval: 30,
  FailureThreshold: 3,
  MeasureLatency: false,
  Disabled: false,
} as const;

/** A modelled check's config; `ids` holds the ids of the checks made before it, by reference (its children). */
export function healthCheckConfig(
  check: HealthCheckModel,
  ids: ReadonlyMap<string, string>,
): HealthCheckConfig {
  const { config } = check;
  if (config.type === 'HTTPS') {
    return {
      Type: config.type,
      FullyQualifiedDomainName: config.fullyQualifiedDomainName,
      ResourcePath: config.resourcePath,
      Port: config.port,
      EnableSNI: config.enableSni,
      RequestInterval: config.requestInterval,
      FailureThreshold: config.failureThreshold,
      MeasureLatency: false,
      Inverted: check.inverted,
      Disabled: false,
    };
  }
  if (config.type === 'CLOUDWATCH_METRIC') {
    return {
      Type: config.type,
      AlarmIdentifier: { Region: config.alarm.region, Name: config.alarm.name },
      InsufficientDataHealthStatus: config.insufficientDataHealthStatus,
      ...DERIVED_DEFAULTS,
      Inverted: check.inverted,
    };
  }
  return {
    Type: config.type,
    ChildHealthChecks: config.childReferences.map((reference) => {
      const id = ids.get(reference);
      if (!id) throw new Error(`health check ${check.reference}: child ${reference} is not made yet`);
      return id;
    }),
    HealthThreshold: config.healthThreshold,
    ...DERIVED_DEFAULTS,
    Inverted: check.inverted,
  };
}
