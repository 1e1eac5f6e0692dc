/**
 * The drills panel: start a drill (a dry run unless unticked), follow its steps live (the drill the console
 * started comes in every snapshot of the stream), and the journal's recent drills, each opening as its
 * report's timeline (drawn by the CLI's report code, shown here as it is).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleDrill, ConsoleDrillsReply, ConsoleSnapshot } from '../../control-api.js';
import { control } from './api.js';

/** The list is read again this often (a drill started from a terminal shows up), and when a live one ends. */
const LIST_REFRESH_MS = 15_000;

const took = (ms: number | undefined) =>
  ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;

const outcome = (drill: ConsoleDrill) =>
  drill.state === 'running'
    ? 'running'
    : drill.state === 'unfinished'
      ? 'unfinished (see chatctl drill status)'
      : (drill.verdict ?? 'ended');

function LiveDrill(props: { drill: ConsoleDrill }) {
  const { drill } = props;
  return html`<section class="drill-live" data-testid="drill-live" data-drill=${drill.id} data-state=${drill.state}
      data-verdict=${drill.verdict ?? ''}>
    <h3>${drill.kind} drill of ${drill.region}${drill.dryRun ? ' (dry run)' : ''}: <span
      class=${drill.verdict === 'passed' ? 'ok-text' : drill.state === 'running' ? '' : 'bad-text'}>${outcome(drill)}</span>
      ${' '}<small>${drill.id}</small></h3>
    <table class="grid">
      <thead><tr><th>#</th><th>step</th><th>status</th><th>took</th><th>detail</th></tr></thead>
      <tbody>
        ${drill.steps.map(
          (
            step,
            i,
          ) => html`<tr data-step=${step.name} data-status=${step.status} class=${`step-${step.status}`}>
            <td>${i + 1}</td><td>${step.title}</td><td><b>${step.status}</b></td>
            <td class="nowrap">${took(step.durationMs)}</td><td class="small">${step.detail ?? ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${drill.endReason ? html`<p class="bad-text">${drill.endReason}</p>` : null}
  </section>`;
}

function StartForm(props: { snapshot: ConsoleSnapshot; kinds: readonly string[]; onStarted: () => void }) {
  const regions = props.snapshot.regions.map((r) => r.key);
  const [kind, setKind] = useState(props.kinds[0] ?? 'failover');
  const [region, setRegion] = useState(regions[1] ?? regions[0] ?? '');
  const [dryRun, setDryRun] = useState(true);
  const [holdSeconds, setHoldSeconds] = useState('30');
  const [moveOrigin, setMoveOrigin] = useState(true);
  // The drill's safety rules refuse to drain the China proxy's only origin unless it moves away first.
  const isChinaOrigin = props.snapshot.china?.origin === region;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const start = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await control<'startDrill'>('POST', '/console/drills', {
        kind,
        region,
        dryRun,
        ...(dryRun ? {} : { holdMs: Math.round(Number(holdSeconds) * 1000) }),
        ...(isChinaOrigin ? { moveChinaOrigin: moveOrigin } : {}),
      });
      props.onStarted();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="row" onSubmit=${start}>
      <select aria-label="drill kind" value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value)}>
        ${props.kinds.map((k) => html`<option value=${k}>${k}</option>`)}
      </select>
      <label>of <select aria-label="drill region" value=${region}
        onChange=${(e: Event) => setRegion((e.target as HTMLSelectElement).value)}>
        ${regions.map((r) => html`<option value=${r}>${r}</option>`)}
      </select></label>
      <label><input type="checkbox" aria-label="dry run" checked=${dryRun}
        onChange=${(e: Event) => setDryRun((e.target as HTMLInputElement).checked)} /> dry run (changes nothing)</label>
      ${
        dryRun
          ? null
          : html`<label>hold <input aria-label="hold seconds" size="4" value=${holdSeconds}
              onInput=${(e: Event) => setHoldSeconds((e.target as HTMLInputElement).value)} /> s</label>`
      }
      ${
        isChinaOrigin
          ? html`<label><input type="checkbox" aria-label="move the China origin" checked=${moveOrigin}
              onChange=${(e: Event) => setMoveOrigin((e.target as HTMLInputElement).checked)} />
              ${`move the China proxy's origin away first (${region} is its origin)`}</label>`
          : null
      }
      <button type="submit" data-action="start-drill" disabled=${busy}>start drill</button>
    </form>
    ${error ? html`<p class="bad-text" data-testid="drill-error">${error}</p>` : null}`;
}

function Recent(props: { drills: readonly ConsoleDrill[] }) {
  const [selected, setSelected] = useState<string | undefined>();
  const { drills } = props;
  if (drills.length === 0) return html`<p class="small">No drills in this project's journal yet.</p>`;
  const shown = drills.find((d) => d.id === selected) ?? drills[0];
  return html`<table class="grid drills">
      <thead><tr><th>started</th><th>drill</th><th>outcome</th><th>time to shift</th><th>time to restore</th></tr></thead>
      <tbody>
        ${drills.map(
          (d) => html`<tr data-drill=${d.id} data-verdict=${d.verdict ?? d.state}
              class=${d.id === shown.id ? 'selected' : ''} onClick=${() => setSelected(d.id)}>
            <td>${new Date(d.startedAt).toLocaleString()}</td>
            <td>${d.kind} of <b>${d.region}</b>${d.dryRun ? ' (dry run)' : ''}${d.target === 'aws' ? ' on AWS' : ''}</td>
            <td>${outcome(d)}</td><td>${took(d.timeToShiftMs)}</td><td>${took(d.timeToRestoreMs)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${
      shown.timelineSvg
        ? html`<div class="timeline" data-testid="drill-timeline" data-drill=${shown.id}
            dangerouslySetInnerHTML=${{ __html: shown.timelineSvg }}></div>`
        : html`<p class="small">The timeline is drawn once the drill has ended.</p>`
    }`;
}

export function Drills(props: { snapshot: ConsoleSnapshot }) {
  const { snapshot } = props;
  const [reply, setReply] = useState<ConsoleDrillsReply | undefined>();
  const [error, setError] = useState<string | undefined>();
  const refresh = () =>
    control<'consoleDrills'>('GET', '/console/drills').then(
      (r) => {
        setReply(r);
        setError(undefined);
      },
      (e: Error) => setError(`could not read the drill journal: ${e.message}`),
    );
  useEffect(() => {
    void refresh();
    const timer = setInterval(refresh, LIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const live = snapshot.drill;
  // The live drill's end puts it in the journal's list with its timeline.
  useEffect(() => {
    if (live) void refresh();
  }, [live?.id, live?.state]);
  if (error) return html`<p class="bad-text" data-testid="drill-error">${error}</p>`;
  if (!reply) return html`<p class="small">Reading the drill journal…</p>`;
  if (!reply.available) {
    return html`<p class="small">This sandbox runs without drills: start it with <code>chatctl sandbox up</code>${' '}
      to start drills here, or run one in a terminal: <code>chatctl drill failover tokyo --dry-run</code>.</p>`;
  }
  return html`<div class="drills-panel" data-testid="drills">
    <${StartForm} snapshot=${snapshot} kinds=${reply.kinds} onStarted=${refresh} />
    ${live ? html`<${LiveDrill} drill=${live} />` : null}
    <h3>Recent drills</h3>
    <${Recent} drills=${reply.drills} />
  </div>`;
}
