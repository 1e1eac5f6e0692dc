/**
 * A chat pane: a user, a way in (a region's gateway, latency DNS as seen from a region's users, or the
 * China proxy: the addresses come from the snapshot), then the chat protocol itself over a WebSocket.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ChatMessage, connectProtocols, type ServerFrame } from '../../../core/protocol.js';
import type { ConsoleSnapshot } from '../../control-api.js';
import { control } from './api.js';

interface Shown {
  readonly message: ChatMessage;
  /** ms from sentAt to this page receiving it (undefined for history). */
  readonly deliveryMs?: number;
}

/** The WebSocket URL for a way in, from the snapshot (undefined when that way is not available now). */
function urlFor(snapshot: ConsoleSnapshot, via: string): string | undefined {
  const [mode, key] = via.split(':');
  if (mode === 'china') return snapshot.china?.url;
  const regionKey = mode === 'dns' ? snapshot.routing.find((r) => r.region === key)?.answer : key;
  return snapshot.regions.find((r) => r.key === regionKey)?.websocketUrl;
}

export function ChatPane(props: { snapshot: ConsoleSnapshot; index: number; user: string; via: string }) {
  const { snapshot } = props;
  const [user, setUser] = useState(props.user);
  const [via, setVia] = useState(props.via);
  const [room, setRoom] = useState('lobby');
  const [text, setText] = useState('');
  const [status, setStatus] = useState('not connected');
  const [messages, setMessages] = useState<Shown[]>([]);
  const [replyTo, setReplyTo] = useState<ChatMessage | undefined>();
  const socket = useRef<WebSocket | undefined>(undefined);
  useEffect(() => () => socket.current?.close(), []);

  const onFrame = (frame: ServerFrame) => {
    if (frame.type === 'joined') {
      setStatus(`joined ${frame.roomId}`);
      setMessages(frame.history.map((message) => ({ message })));
    } else if (frame.type === 'message') {
      const deliveryMs = Math.max(0, Date.now() - frame.message.sentAt);
      setMessages((list) => [
        ...list.filter((m) => m.message.messageId !== frame.message.messageId),
        { message: frame.message, deliveryMs },
      ]);
    } else if (frame.type === 'reaction') {
      setMessages((list) =>
        list.map((m) => {
          if (m.message.messageId !== frame.messageId) return m;
          const reactions = { ...(m.message.reactions ?? {}) };
          const users = new Set(reactions[frame.emoji] ?? []);
          if (frame.added) users.add(frame.userId);
          else users.delete(frame.userId);
          reactions[frame.emoji] = [...users];
          return { ...m, message: { ...m.message, reactions } };
        }),
      );
    } else if (frame.type === 'error') {
      setStatus(`error ${frame.code}: ${frame.message}`);
    }
  };

  const join = async () => {
    socket.current?.close();
    const url = urlFor(snapshot, via);
    if (!url) {
      setStatus(`no way in through ${via} now`);
      return;
    }
    try {
      const { token } = await control<'consoleToken'>('POST', '/console/token', { userId: user });
      // The token in Sec-WebSocket-Protocol (never in the URL, which logs record): core/protocol.ts.
      const ws = new WebSocket(url, connectProtocols(token));
      socket.current = ws;
      setStatus(`connecting to ${url}`);
      ws.onopen = () => ws.send(JSON.stringify({ action: 'join', roomId: room }));
      ws.onmessage = (event) => onFrame(JSON.parse(String(event.data)) as ServerFrame);
      ws.onclose = (event) => {
        if (socket.current === ws)
          setStatus(`disconnected (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
      };
    } catch (error) {
      setStatus((error as Error).message);
    }
  };

  const send = (event: Event) => {
    event.preventDefault();
    if (!text || socket.current?.readyState !== WebSocket.OPEN) return;
    const clientMsgId = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    socket.current.send(
      JSON.stringify({
        action: 'send',
        roomId: room,
        text,
        clientMsgId,
        ...(replyTo ? { parentId: replyTo.messageId } : {}),
      }),
    );
    setText('');
    setReplyTo(undefined);
  };

  const react = (message: ChatMessage) =>
    socket.current?.send(
      JSON.stringify({ action: 'react', roomId: room, messageId: message.messageId, emoji: '👍' }),
    );

  const ways = [
    ...snapshot.regions.map((r) => ({ value: `region:${r.key}`, label: `${r.key} gateway` })),
    ...snapshot.regions.map((r) => ({ value: `dns:${r.key}`, label: `DNS from ${r.key}` })),
    ...(snapshot.china ? [{ value: 'china', label: 'China proxy' }] : []),
  ];
  return html`<section class="chat" data-pane=${props.index}>
    <div class="row">
      <input aria-label="user" value=${user} onInput=${(e: Event) => setUser((e.target as HTMLInputElement).value)} size="8" />
      <select aria-label="connect via" value=${via} onChange=${(e: Event) => setVia((e.target as HTMLSelectElement).value)}>
        ${ways.map((w) => html`<option value=${w.value}>${w.label}</option>`)}
      </select>
      <input aria-label="room" value=${room} onInput=${(e: Event) => setRoom((e.target as HTMLInputElement).value)} size="8" />
      <button data-action="join" onClick=${join}>join</button>
    </div>
    <div class="small" data-testid="chat-status">${status}</div>
    <ol class="messages">
      ${messages.map(
        ({ message, deliveryMs }) => html`<li data-message=${message.messageId} data-region=${message.region}>
          ${message.parentId ? html`<span class="reply">↳ </span>` : null}
          <b>${message.userId}</b> ${message.text}
          <span class="origin" title="region it was sent in">${message.region}</span>
          ${deliveryMs === undefined ? null : html`<span class="small">${deliveryMs} ms</span>`}
          ${Object.entries(message.reactions ?? {}).map(([emoji, users]) => (users.length ? html` ${emoji}${users.length}` : null))}
          <button class="tiny" onClick=${() => setReplyTo(message)}>reply</button>
          <button class="tiny" onClick=${() => react(message)} title="react 👍">like</button>
        </li>`,
      )}
    </ol>
    <form onSubmit=${send} class="row">
      ${replyTo ? html`<span class="small">reply to ${replyTo.userId}</span>` : null}
      <input aria-label="message" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
      <button type="submit" data-action="send">send</button>
    </form>
  </section>`;
}
