import { Flags } from '@oclif/core';
import { CHAT_EVENT_TYPES, type ChatEventType } from '../../../core/events.js';
import { ChatctlCommand } from '../../base.js';

interface TailResult {
  readonly events: number;
}

export default class EventsTail extends ChatctlCommand<typeof EventsTail, TailResult> {
  static override sandboxOnly = true;
  static override summary = "Follow the chat events on the sandbox's local event bus.";
  static override description =
    'Every chat event (message sent, reply, reaction added or removed, notice pinned, member joined or left), ' +
    'published once, in the region it happened, as the stacks publish them to EventBridge (docs/events.md). ' +
    'From now on by default; --from-start replays the archive; --after SEQ resumes after an event. ' +
    'Follows until Ctrl-C (--no-follow: print and end). With --json, one {"seq","event"} object per line.';
  static override examples = [
    '<%= config.bin %> events tail',
    '<%= config.bin %> events tail --type chat.message.sent --type chat.reply.sent --room lobby',
    '<%= config.bin %> events tail --from-start --no-follow --json | jq -c .event',
  ];
  static override flags = {
    type: Flags.string({
      description: 'only events of this type (repeatable)',
      options: [...CHAT_EVENT_TYPES],
      multiple: true,
    }),
    room: Flags.string({ description: 'only the events of this room' }),
    region: Flags.string({ description: 'only the events that happened in this region key' }),
    'from-start': Flags.boolean({ description: "start from the oldest event in the bus's archive" }),
    after: Flags.integer({ description: 'start after this event seq (a consumer resuming)', min: 0 }),
    follow: Flags.boolean({ description: 'keep following new events', default: true, allowNo: true }),
  };

  protected async execute(): Promise<TailResult> {
    const { formatEvent, tailEvents } = await import('../../ops/events/tail.js');
    const { requireSandboxState } = await import('../../../sandbox/state.js');
    const state = await requireSandboxState();
    const json = this.jsonEnabled();
    let events = 0;
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      await tailEvents(
        state,
        {
          types: this.flags.type as ChatEventType[] | undefined,
          ...(this.flags.room ? { roomId: this.flags.room } : {}),
          ...(this.flags.region ? { region: this.flags.region } : {}),
          after: this.flags['from-start'] ? 'earliest' : this.flags.after,
          follow: this.flags.follow,
        },
        (line) => {
          events++;
          process.stdout.write(`${json ? JSON.stringify(line) : formatEvent(line.event)}\n`);
        },
        stop.signal,
      );
    } finally {
      process.off('SIGINT', onSigint);
    }
    return { events };
  }

  /** With --json every event was printed as one JSON object already (JSON lines). */
  protected override logJson(_json: unknown): void {}
}
