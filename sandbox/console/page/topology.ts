/** The regions (gateway, /health, Route 53 check, load level, faults with their buttons), routing and China. */
import { html } from 'htm/preact';
import type { ConsoleRegion, ConsoleSnapshot } from '../../control-api.js';
import { control } from './api.js';

async function act(work: () => Promise<unknown>, onError: (message: string) => void): Promise<void> {
  try {
    await work();
  } catch (error) {
    onError((error as Error).message);
  }
}

function Status(props: { ok: boolean; label: string; detail?: string; testid: string }) {
  return html`<span class=${`status ${props.ok ? 'ok' : 'bad'}`} data-testid=${props.testid}
    data-ok=${String(props.ok)} title=${props.detail ?? ''}>${props.label}</span>`;
}

function RegionCard(props: {
  region: ConsoleRegion;
  faultKinds: readonly string[];
  onError: (message: string) => void;
}) {
  const { region, onError } = props;
  const healthy = region.healthCheck?.healthy ?? region.health.ok;
  const inject = (fault: string) =>
    act(() => control<'fault'>('POST', '/faults', { region: region.key, fault }), onError);
  const heal = (fault: string) =>
    act(() => control<'heal'>('POST', '/heal', { region: region.key, fault }), onError);
  return html`<section class=${`region ${healthy ? '' : 'unhealthy'}`} data-region=${region.key}
      data-healthy=${String(healthy)}>
    <h3>${region.key} <small>${region.awsRegion}</small></h3>
    <div class="row">
      <${Status} testid="gateway" ok=${region.gateway === 'up'} label=${`gateway ${region.gateway}`} />
      <${Status} testid="health" ok=${region.health.ok} label="/health" detail=${region.health.detail} />
      ${
        region.healthCheck
          ? html`<${Status} testid="health-check" ok=${region.healthCheck.healthy}
              label=${`Route 53 ${region.healthCheck.healthy ? 'healthy' : 'unhealthy'}`}
              detail=${region.healthCheck.lastProbe?.detail} />`
          : null
      }
    </div>
    <div class="row small">
      load level <b data-testid="load-level">${region.loadLevel ?? '–'}</b> ·
      ${region.connections} connection${region.connections === 1 ? '' : 's'}
      ${region.replicationPaused ? html` · <b class="bad-text">replication paused</b>` : null}
    </div>
    <div class="row faults">
      ${region.faults.map(
        (f) => html`<button class="heal" data-fault=${f.fault.kind} onClick=${() => heal(f.fault.kind)}
          title=${`since ${f.since}`}>heal ${f.spec}</button>`,
      )}
    </div>
    <div class="row inject">
      ${props.faultKinds.map(
        (kind) => html`<button data-inject=${kind.replace(/=.*$/, '')} onClick=${() => inject(kind)}>
          ${kind}</button>`,
      )}
    </div>
  </section>`;
}

export function Topology(props: { snapshot: ConsoleSnapshot; onError: (message: string) => void }) {
  const { snapshot } = props;
  return html`<div class="regions">
      ${snapshot.regions.map(
        (region) => html`<${RegionCard} key=${region.key} region=${region} faultKinds=${snapshot.faultKinds}
          onError=${props.onError} />`,
      )}
    </div>
    <div class="china" data-testid="china">
      ${
        snapshot.china
          ? html`China proxy <code>${snapshot.china.url}</code> (${snapshot.china.distributionId}) → origin${' '}
              <b>${snapshot.china.origin ?? 'none running'}</b>`
          : 'No China proxy in this topology.'
      }
    </div>`;
}

export function Routing(props: { snapshot: ConsoleSnapshot }) {
  const rows = props.snapshot.routing;
  if (rows.length === 0) return html`<p>Route 53 is not running in this sandbox.</p>`;
  return html`<table class="routing">
    <thead><tr><th>users in</th><th>probe subnet</th><th>latency DNS answers</th></tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr data-routing=${r.region} data-answer=${r.answer ?? ''}
            class=${r.answer && r.answer !== r.region ? 'moved' : ''}>
          <td>${r.region}</td><td><code>${r.subnet}</code></td><td><b>${r.answer ?? '–'}</b></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
