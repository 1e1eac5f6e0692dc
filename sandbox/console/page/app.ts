/**
 * The sandbox console: one page drawn from the live stream of ConsoleSnapshots (control-api.ts). It decides
 * nothing itself: what it shows comes from the sandbox, what it does goes through the control API or the
 * chat protocol.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleSnapshot } from '../../control-api.js';
import { openEvents, secret } from './api.js';
import { ChatPane } from './chat.js';
import { Drills } from './drills.js';
import { LagHeatMap } from './heatmap.js';
import { Routing, Topology } from './topology.js';

function App() {
  const [snapshot, setSnapshot] = useState<ConsoleSnapshot | undefined>();
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [panes, setPanes] = useState(2);
  useEffect(() => {
    const source = openEvents(
      (data) => setSnapshot(JSON.parse(data) as ConsoleSnapshot),
      (isLive) => setLive(isLive),
    );
    return () => source.close();
  }, []);
  if (!secret) {
    return html`<p class="bad-text">This page needs the sandbox's secret: open the URL that
      <code>chatctl sandbox up</code> prints (or <code>chatctl sandbox status</code>).</p>`;
  }
  if (!snapshot) return html`<p>Connecting to the sandbox…</p>`;
  const regions = snapshot.regions.map((r) => r.key);
  return html`<header>
      <h1>chatctl sandbox</h1>
      <span class=${`status ${live ? 'ok' : 'bad'}`} data-testid="live">${live ? 'live' : 'reconnecting'}</span>
      <span class="small">updated ${new Date(snapshot.at).toLocaleTimeString()}</span>
      ${error ? html`<span class="bad-text" data-testid="error" onClick=${() => setError(undefined)}>${error}</span>` : null}
    </header>
    <main>
      <h2>Topology</h2>
      <${Topology} snapshot=${snapshot} onError=${setError} />
      <div class="columns">
        <div><h2>Routing</h2><${Routing} snapshot=${snapshot} /></div>
        <div><h2>Replication</h2><${LagHeatMap} snapshot=${snapshot} /></div>
      </div>
      <h2>Chat <button class="tiny" onClick=${() => setPanes(panes + 1)}>+ pane</button></h2>
      <div class="chats">
        ${Array.from(
          { length: panes },
          (_, i) => html`<${ChatPane} key=${i} index=${i} snapshot=${snapshot}
            user=${['alice', 'bob', 'chen', 'dana'][i % 4]} via=${`region:${regions[i % regions.length]}`} />`,
        )}
      </div>
      <h2>Drills</h2>
      <${Drills} snapshot=${snapshot} />
    </main>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
