/**
 * The deployed system's Route 53 model (core/deployment/route53.ts) as CloudFormation: a modelled health check's
 * properties, and a modelled record's alias target. The sandbox seeds the same model
 * (sandbox/services/route53/seed.ts); test/stacks/parity.test.ts holds the two together.
 */
import type { CfnHealthCheckProps } from 'aws-cdk-lib/aws-route53';
import type { HealthCheckModel } from '../core/deployment/route53.js';

/** What the template refers to by token: a child check's id, an alarm's name (so the alarm exists first). */
export interface HealthCheckRefs {
  readonly checkId?: (reference: string) => string;
  readonly alarmName?: (name: string) => string;
}

export function healthCheckProps(check: HealthCheckModel, refs: HealthCheckRefs = {}): CfnHealthCheckProps {
  const { config } = check;
  const tags = [{ key: 'Name', value: check.reference }];
  if (config.type === 'HTTPS') {
    return {
      healthCheckConfig: {
        type: config.type,
        fullyQualifiedDomainName: config.fullyQualifiedDomainName,
        resourcePath: config.resourcePath,
        port: config.port,
        enableSni: config.enableSni,
        requestInterval: config.requestInterval,
        failureThreshold: config.failureThreshold,
      },
      healthCheckTags: tags,
    };
  }
  if (config.type === 'CLOUDWATCH_METRIC') {
    return {
      healthCheckConfig: {
        type: config.type,
        alarmIdentifier: {
          name: refs.alarmName ? refs.alarmName(config.alarm.name) : config.alarm.name,
          region: config.alarm.region,
        },
        insufficientDataHealthStatus: config.insufficientDataHealthStatus,
      },
      healthCheckTags: tags,
    };
  }
  const checkId = refs.checkId;
  if (!checkId) throw new Error(`health check ${check.reference}: its children need their ids`);
  return {
    healthCheckConfig: {
      type: config.type,
      childHealthChecks: config.childReferences.map(checkId),
      healthThreshold: config.healthThreshold,
    },
    healthCheckTags: tags,
  };
}
