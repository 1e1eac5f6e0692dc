/**
 * The plan, the price table and the calibration as sections (title, rows, notes), rendered as terminal
 * tables or as Markdown (`--report FILE`) from the same content.
 */
import { networkMs } from '../../../sandbox/latency.js';
import { table } from '../../output.js';
import type { Calibration } from './calibrate.js';
import {
  connectCost,
  disconnectCost,
  historyCost,
  joinCost,
  joinMs,
  joinRelayCost,
  MEASURED_MS,
  MEASURED_WITH,
  type RegionCost,
  relayMs,
  sendCost,
  sendMs,
} from './costs.js';
import type { CapacityPlan } from './plan.js';
import { PRICES, type RegionPrices } from './prices.js';
import { QUOTAS } from './quotas.js';

export interface Section {
  readonly title: string;
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const usd = (value: number | undefined) => (value === undefined ? 'no price' : `$${n(value)}`);
const pct = (value: number) => `${n(value * 100, 1)}%`;

export function planSections(plan: CapacityPlan): Section[] {
  const { input } = plan;
  const regionKeys = plan.regions.map((r) => r.key);
  const byRegion = (pick: (r: CapacityPlan['regions'][number]) => string) => plan.regions.map(pick);
  const sections: Section[] = [];
  sections.push({
    title: 'Peak',
    rows: [
      ['INPUT', 'VALUE', 'FROM'],
      ['messages/s', n(input.peakMsgs), input.from.peakMsgs],
      ['members per room', n(input.avgRoom, 1), input.from.avgRoom],
      ['cross-region share', pct(input.crossRegionShare), input.from.crossRegionShare],
      ['concurrent connections', n(input.connections), input.from.connections],
      ['new connections/s', n(input.connectRate), input.from.connectRate],
      [
        'region shares',
        regionKeys.map((k) => `${k} ${pct(input.regionShare[k] ?? 0)}`).join(', '),
        input.from.regionShare,
      ],
      ['history pages per message', n(input.historyReadsPerMsg, 3), input.from.historyReadsPerMsg],
      ['average / peak', pct(input.avgToPeak), input.from.avgToPeak],
    ],
  });
  sections.push({
    title: 'Per region at the peak',
    rows: [
      ['', ...regionKeys],
      ['API Gateway: new connections/s', ...byRegion((r) => n(r.connectsPerSec))],
      ['API Gateway: concurrent connections', ...byRegion((r) => n(r.connections))],
      ['API Gateway: messages in/s', ...byRegion((r) => n(r.messagesInPerSec))],
      ['API Gateway: @connections posts/s', ...byRegion((r) => n(r.postsPerSec))],
      ['API Gateway: requests/s (account throttle)', ...byRegion((r) => n(r.apiRequestsPerSec))],
      ['Lambda: concurrency (all routes)', ...byRegion((r) => n(r.lambdaConcurrency))],
      ['DynamoDB: write units/s', ...byRegion((r) => n(r.writeUnitsPerSec))],
      ['DynamoDB: replicated writes/s in', ...byRegion((r) => n(r.replicatedWritesPerSec))],
      ['DynamoDB: read units/s', ...byRegion((r) => n(r.readUnitsPerSec))],
      ['relay: Invokes/s out', ...byRegion((r) => n(r.relayInvokesPerSec))],
      ['data transfer to other regions, MB/s', ...byRegion((r) => n(r.interRegionBytesPerSec / 1e6, 1))],
    ],
  });
  sections.push({
    title: 'Quotas',
    rows: [
      ['REGION', 'QUOTA (Service Quotas name)', 'CODE', 'NEED', 'LIMIT', 'VERDICT', 'REQUEST'],
      ...plan.quotas.map((q) => [
        q.region,
        `${q.service}: ${q.name}`,
        q.code,
        n(q.need),
        `${n(q.limit)}${q.limitFrom === 'account' ? ' (account)' : ''}`,
        q.verdict.toUpperCase(),
        q.request === undefined ? '-' : n(q.request),
      ]),
    ],
    notes: [
      'OVER: above the quota; NEAR: at 80% of it or more. REQUEST: the value to ask for in Service Quotas (the need at under 80%).',
      `${QUOTAS.tableWrites.name}: the quota must be the same in every replica Region; request it in all of them.`,
      'Lambda concurrency needs the recommended lanes reserved plus the 100 AWS keeps unreserved.',
      `Concurrent connections have no quota of their own: a connection lasts at most 2 hours, so ${plan.regions
        .map((r) => `${n(r.connections)} in ${r.key}`)
        .join(', ')} need at least connections / 7,200 connects/s, counted in the connect-rate row.`,
    ],
  });
  sections.push({
    title: 'Lambda lanes (reserved concurrency per route)',
    rows: [
      [
        'REGION',
        'ROUTE',
        'INVOCATIONS/S',
        'DURATION MS',
        'CONCURRENCY',
        'LANE NOW',
        'VERDICT',
        'RECOMMENDED',
      ],
      ...plan.regions.flatMap((r) =>
        r.routes.map((route) => [
          r.key,
          route.route,
          n(route.invocationsPerSec),
          n(route.durationMs, 1),
          n(route.concurrency, 1),
          route.currentLane === undefined ? '-' : n(route.currentLane),
          route.laneVerdict === 'none' ? '-' : route.laneVerdict.toUpperCase(),
          n(route.recommendedLane),
        ]),
      ),
    ],
    notes: [
      `Durations: measured on the sandbox (${MEASURED_WITH.date}, ${MEASURED_WITH.command}); on AWS every call also crosses the network. Put CloudWatch's Duration per route in capacity.routeMs of chatctl.json to plan with production figures.`,
    ],
  });
  sections.push({
    title: `Monthly cost (USD, average at ${pct(input.avgToPeak)} of the peak, 730 hours)`,
    rows: [
      [
        'REGION',
        'API GATEWAY',
        'LAMBDA',
        'DYNAMODB ON-DEMAND',
        'DATA TRANSFER',
        'TOTAL',
        'DYNAMODB PROVISIONED AT PEAK',
      ],
      ...plan.costs.map((c) => [
        `${c.key} (${c.awsRegion})`,
        usd(c.apiGateway),
        usd(c.lambda),
        usd(c.dynamodb),
        usd(c.dataTransfer),
        usd(c.total),
        `${usd(c.dynamodbProvisioned)} (${n(c.provisioned.wcu)} WCU, ${n(c.provisioned.rcu)} RCU, ${n(c.provisioned.rwcu)} rWCU)`,
      ]),
      ['all regions', '', '', '', '', usd(plan.totalMonthlyUsd), ''],
    ],
    notes: [
      'Prices: the dated table of `chatctl capacity --prices` (each with its source).',
      `Not included: ${plan.excluded.join('; ')}.`,
      ...(plan.unpricedRegions.length > 0
        ? [`No prices in the table for ${plan.unpricedRegions.join(', ')}: those regions are not costed.`]
        : []),
    ],
  });
  return sections;
}

const PRICE_ROWS: [keyof RegionPrices, string][] = [
  ['wsMessages', 'API Gateway WebSocket messages (first 1B/month)'],
  ['wsMessagesOver1B', 'API Gateway WebSocket messages (over 1B)'],
  ['wsConnectionMinutes', 'API Gateway connection minutes'],
  ['lambdaRequests', 'Lambda requests'],
  ['lambdaGbSecond', 'Lambda duration (arm64)'],
  ['dynamoWriteRequestUnits', 'DynamoDB write request units'],
  ['dynamoReadRequestUnits', 'DynamoDB read request units'],
  ['dynamoReplicatedWriteRequestUnits', 'DynamoDB replicated write request units'],
  ['dynamoWcuHour', 'DynamoDB provisioned WCU'],
  ['dynamoRcuHour', 'DynamoDB provisioned RCU'],
  ['dynamoReplicatedWcuHour', 'DynamoDB provisioned replicated WCU'],
  ['interRegionPerGb', 'data transfer to another region'],
];

export function priceSections(): Section[] {
  return Object.entries(PRICES).map(([awsRegion, prices]) => ({
    title: `Prices: ${awsRegion}`,
    rows: [
      ['ITEM', 'USD', 'PER', 'BASIS', 'DATE', 'SOURCE'],
      ...PRICE_ROWS.map(([key, label]) => {
        const p = prices[key];
        return [label, String(p.usd), p.per, p.basis, p.date, p.source];
      }),
    ],
  }));
}

function costRow(scenario: string, region: string, measured: RegionCost | undefined, model: RegionCost) {
  const calls = (c: RegionCost | undefined) =>
    c
      ? Object.entries(c.calls)
          .map(([op, count]) => `${op.split(':')[1]} ${count}`)
          .join(', ')
      : '-';
  return [
    scenario,
    region,
    `${calls(measured)}`,
    `${calls(model)}`,
    `${measured?.writeUnits ?? '-'} / ${model.writeUnits}`,
    `${measured?.readUnits ?? '-'} / ${model.readUnits}`,
    `${measured?.postBytes ?? '-'} / ${model.postBytes}`,
    `${measured?.invokeBytes ?? '-'} / ${model.invokeBytes}`,
  ];
}

/** The calibration next to the planner's table: the same operations, measured and modelled. */
export function calibrationSections(calibration: Calibration): Section[] {
  const get = (name: string) => calibration.scenarios.find((s) => s.name === name);
  const text = calibration.textBytes;
  const local = sendCost({ localMembers: 10, remoteRegions: 0, membersPerRemoteRegion: 0, textBytes: text });
  const remote = sendCost({ localMembers: 8, remoteRegions: 1, membersPerRemoteRegion: 2, textBytes: text });
  const rows = [
    ['SCENARIO', 'REGION', 'CALLS MEASURED', 'CALLS IN TABLE', 'WRU', 'RRU', 'POST BYTES', 'INVOKE BYTES'],
    costRow('send, room of 10', 'seoul', get('send-10-local')?.regions.seoul, local.origin),
    costRow('send, 8 + 2 remote', 'seoul', get('send-10-remote-1')?.regions.seoul, remote.origin),
    costRow('send, 8 + 2 remote', 'tokyo', get('send-10-remote-1')?.regions.tokyo, remote.perRemoteRegion),
    costRow('connect', 'seoul', get('connect')?.regions.seoul, connectCost()),
    costRow('join (5 in history)', 'seoul', get('join')?.regions.seoul, joinCost(5, text, 3)),
    costRow('join, relayed', 'tokyo', get('join')?.regions.tokyo, joinRelayCost()),
    costRow('history (5)', 'seoul', get('history')?.regions.seoul, historyCost(5, text)),
    costRow('disconnect', 'seoul', get('disconnect')?.regions.seoul, disconnectCost(1)),
  ];
  const duration = (label: string, scenario: string, key: string, table: number) => {
    const measured = get(scenario);
    return [
      label,
      String(measured?.durationsMs[key] ?? '-'),
      String(measured?.minDurationsMs[key] ?? '-'),
      n(table, 1),
    ];
  };
  const toTokyoMs = networkMs('ap-northeast-2', 'ap-northeast-1');
  const durations = [
    ['ROUTE', 'MEASURED MEAN MS', 'MEASURED MIN MS', 'TABLE MS'],
    duration('send, room of 10', 'send-10-local', 'send@seoul', sendMs(11, 0)),
    duration('send, 8 + relay to tokyo', 'send-10-remote-1', 'send@seoul', sendMs(9, 2 * toTokyoMs)),
    duration('relay (2 posts)', 'send-10-remote-1', 'relay@tokyo', relayMs(2)),
    duration('connect', 'connect', 'connect@seoul', MEASURED_MS.connect),
    duration(
      'join',
      'join',
      'join@seoul',
      joinMs(2 * Math.max(toTokyoMs, networkMs('ap-northeast-2', 'us-west-2'))),
    ),
    duration('history', 'history', 'history@seoul', MEASURED_MS.history),
    duration('disconnect', 'disconnect', 'disconnect@seoul', MEASURED_MS.disconnect),
  ];
  const replication = [
    ['SCENARIO', 'REPLICATED WRITES MEASURED', 'IN TABLE'],
    [
      'send, room of 10',
      String(get('send-10-local')?.replicatedWrites ?? '-'),
      String(local.origin.itemsWritten * 2),
    ],
    [
      'send, 8 + 2 remote',
      String(get('send-10-remote-1')?.replicatedWrites ?? '-'),
      String((remote.origin.itemsWritten + remote.perRemoteRegion.itemsWritten) * 2),
    ],
  ];
  return [
    {
      title: `Calibration on this machine (${calibration.measuredAt}, ${calibration.repeats} of each, text of ${text} bytes): measured / table`,
      rows,
      notes: [
        "Counted by the runtime's own instrumentation: a metering requestHandler on every AWS client of the handlers.",
      ],
    },
    { title: 'Replicated writes (3 regions: each item written goes to 2 other replicas)', rows: replication },
    { title: `Handler durations (table measured ${MEASURED_WITH.date})`, rows: durations },
  ];
}

export function renderText(sections: readonly Section[]): string {
  return sections
    .map((s) => [s.title, table(s.rows), ...(s.notes ?? []).map((note) => `  ${note}`)].join('\n'))
    .join('\n\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(title: string, sections: readonly Section[]): string {
  const parts = [`# ${title}`, ''];
  for (const s of sections) {
    parts.push(`## ${s.title}`, '');
    const [header, ...body] = s.rows;
    parts.push(`| ${header.map((h) => cell(h || ' ')).join(' | ')} |`);
    parts.push(`|${header.map(() => '---').join('|')}|`);
    for (const row of body) parts.push(`| ${row.map(cell).join(' | ')} |`);
    parts.push('');
    for (const note of s.notes ?? []) parts.push(`- ${note}`);
    if (s.notes?.length) parts.push('');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
