/**
 * One room's sends, kept in the order they were made (docs/protocol.md, Order). The server pushes a send
 * that names another in `after` behind that one only when that one was sent with `more` (it then records
 * its push), so a send goes out at once when nothing is unacked, or when the last send that went out
 * carries `more` (it names that one); otherwise it waits until every send is answered. Sends made in one
 * tick go out together: each but the last carries `more`, each names the one before it. So a lone send
 * costs the server no ordering write, and `after` always names the last send that went out (one chain).
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

interface InFlight {
  readonly clientMsgId: string;
  readonly more: boolean;
}

export class SendOrder {
  private readonly waiting: Waiting[] = [];
  private readonly inFlight = new Set<InFlight>();
  private lastSent: InFlight | undefined;
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

  /** Sends made but not sent yet (waiting for an ack without `more`). */
  get held(): number {
    return this.waiting.length;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const last = this.inFlight.size > 0 ? this.lastSent : undefined;
      if (last && !last.more) return; // the answers release the rest
      const next = this.waiting.shift()!;
      const entry: InFlight = { clientMsgId: next.clientMsgId, more: this.waiting.length > 0 };
      this.inFlight.add(entry);
      this.lastSent = entry;
      const fields: OrderFields = {
        ...(last && last.clientMsgId < next.clientMsgId ? { after: last.clientMsgId } : {}),
        ...(entry.more ? { more: true } : {}),
      };
      const settle = () => {
        this.inFlight.delete(entry);
        this.pump();
      };
      next.transmit(fields).then(settle, settle);
    }
  }
}
