/** The replication lag matrix, live: the one heat-map drawing the CLI's report also writes (core/svg.ts). */
import { html } from 'htm/preact';
import { heatMapSvg } from '../../../core/svg.js';
import type { ConsoleSnapshot } from '../../control-api.js';

/** Lag that is drawn fully red: a few seconds is an outage for a chat. */
const RED_AT_MS = 5000;

export function LagHeatMap(props: { snapshot: ConsoleSnapshot }) {
  const { snapshot } = props;
  const paused = snapshot.regions.filter((r) => r.replicationPaused).map((r) => r.key);
  const svg = heatMapSvg({
    title: 'Replication lag: oldest change not yet applied',
    regions: snapshot.regions.map((r) => r.key),
    cells: snapshot.lag.map((p) => ({
      from: p.from,
      to: p.to,
      ms: p.oldestMs,
      note: `${p.pending} pending`,
    })),
    maxMs: RED_AT_MS,
    marked: paused,
    markNote: `replication paused: ${paused.join(', ')}`,
  });
  return html`<div class="heatmap" data-testid="heatmap" dangerouslySetInnerHTML=${{ __html: svg }}></div>`;
}
