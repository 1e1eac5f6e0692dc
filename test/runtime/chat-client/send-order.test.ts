// The client's order of one room's sends (docs/protocol.md, Order), driven by hand: each transmit is a
// promise the test answers, as the server's ack (or error frame) would.
import { describe, expect, it } from 'vitest';
import { type OrderFields, SendOrder } from '../../../runtime/chat-client/send-order.js';

interface Sent {
  readonly id: string;
  readonly fields: OrderFields;
  readonly answer: () => void;
  readonly fail: () => void;
}

function harness() {
  const order = new SendOrder();
  const sent: Sent[] = [];
  const add = (id: string) =>
    order.add(
      id,
      (fields) =>
        new Promise<string>((resolve, reject) => {
          sent.push({
            id,
            fields,
            answer: () => resolve(id),
            fail: () => reject(new Error(`${id} refused`)),
          });
        }),
    );
  return { order, sent, add };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const answer = async (s: Sent) => {
  s.answer();
  await tick();
};

describe('SendOrder', () => {
  it('send order: a lone send carries neither after nor more', async () => {
    const { sent, add } = harness();
    const acked = add('01A');
    await tick();
    expect(sent.map((s) => [s.id, s.fields])).toEqual([['01A', {}]]);
    await answer(sent[0]);
    expect(await acked).toBe('01A');
  });

  it('send order: sends made in one tick go out at once, each naming the one before, all but the last with more', async () => {
    const { sent, add } = harness();
    for (const id of ['01A', '01B', '01C']) void add(id);
    await tick();
    expect(sent.map((s) => [s.id, s.fields])).toEqual([
      ['01A', { more: true }],
      ['01B', { after: '01A', more: true }],
      ['01C', { after: '01B' }],
    ]);
  });

  it('send order: a send made while one without more is unacked waits for every answer, then names nothing', async () => {
    const { order, sent, add } = harness();
    void add('01A');
    await tick();
    void add('01B');
    void add('01C');
    await tick();
    expect(sent.map((s) => s.id)).toEqual(['01A']);
    expect(order.held).toBe(2);
    await answer(sent[0]);
    // Released together: they form a chain of their own.
    expect(sent.slice(1).map((s) => [s.id, s.fields])).toEqual([
      ['01B', { more: true }],
      ['01C', { after: '01B' }],
    ]);
  });

  it('send order: a send made while a chain is in flight waits for every ack of it, then starts a chain of its own', async () => {
    const { sent, add } = harness();
    void add('01A');
    void add('01B');
    await tick();
    // The last of the chain is answered first; the first (more) is still unacked: a new send waits.
    await answer(sent[1]);
    void add('01C');
    await tick();
    expect(sent.map((s) => s.id)).toEqual(['01A', '01B']);
    await answer(sent[0]);
    expect(sent.map((s) => [s.id, s.fields])).toEqual([
      ['01A', { more: true }],
      ['01B', { after: '01A' }],
      ['01C', {}],
    ]);
  });

  it('send order: a refused send releases the ones behind it, and its refusal reaches its caller', async () => {
    const { sent, add } = harness();
    const refused = add('01A');
    await tick();
    const next = add('01B');
    await tick();
    expect(sent).toHaveLength(1);
    sent[0].fail();
    await expect(refused).rejects.toThrow('01A refused');
    await tick();
    expect(sent.map((s) => [s.id, s.fields])).toEqual([
      ['01A', {}],
      ['01B', {}],
    ]);
    await answer(sent[1]);
    expect(await next).toBe('01B');
  });
});
