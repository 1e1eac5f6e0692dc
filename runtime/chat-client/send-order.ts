/**
 * One room's sends, kept in the order they were made (docs/protocol.md, Order). The server acks a send once
 * it is pushed, so a send made while others are unacked waits for their acks; it then cannot overtake them.
 * Sends made in one tick go out together instead: each but the last carries `more` (the server then pushes
 * the next after it) and each names the one before in `after`. So a lone send costs the server no ordering
 * write, and only sends made together are pipelined.
 */

/** What the next send carries for its order: the send it follows and whether one may follow it. */
export interface OrderFields {
  readonly after?: string;
  readonly more?: true;
}

interface Waiting {
  readonly clientMsgId: string;
  readonly transmit: (fields: OrderFields) => Promise<unknown>;
}

export class SendOrder {
  private readonly waiting: Waiting[] = [];
  /** Sends out and not answered yet. */
  private inFlight = 0;
  private pumpScheduled = false;

  /**
   * Queues a send; `transmit` is called once it may go out, with its order fields, and its promise (the
   * ack, or its failure) settles it: then the sends waiting behind it may go.
   */
  add<T>(clientMsgId: string, transmit: (fields: OrderFields) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        clientMsgId,
        transmit: (fields) => {
          const sent = transmit(fields);
          sent.then(resolve, reject);
          return sent;
        },
      });
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        queueMicrotask(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Sends made but not sent yet (waiting for the acks of those out). */
  get held(): number {
    return this.waiting.length;
  }

  private pump(): void {
    if (this.inFlight > 0) return; // their acks release the rest
    let previous: string | undefined;
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      const more = this.waiting.length > 0;
      const fields: OrderFields = {
        ...(previous && previous < next.clientMsgId ? { after: previous } : {}),
        ...(more ? { more: true } : {}),
      };
      previous = next.clientMsgId;
      this.inFlight++;
      const settle = () => {
        this.inFlight--;
        this.pump();
      };
      next.transmit(fields).then(settle, settle);
    }
  }
}
