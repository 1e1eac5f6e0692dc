/**
 * Questions at the terminal. Ctrl-C at a question is the user's "no, stop": it ends the command quietly with
 * exit code 130 (128 + SIGINT, as shells report it) instead of a stack trace or a hang.
 */
import { createInterface } from 'node:readline';

/** Thrown when the user pressed Ctrl-C at a question; the base command exits 130 without a message. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export interface PromptIo {
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
  /** Whether the input is a terminal (readline then reads keys, so Ctrl-C arrives as a key, not a signal). */
  readonly terminal?: boolean;
}

/** Asks one question and returns the line typed; rejects with Interrupted on Ctrl-C (or end of input). */
export function ask(question: string, io: PromptIo = {}): Promise<string> {
  const input = io.input ?? process.stdin;
  const output = io.output ?? process.stderr;
  const rl = createInterface({ input, output, terminal: io.terminal ?? Boolean(process.stdin.isTTY) });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    rl.once('SIGINT', () => {
      output.write('\n');
      rl.close();
    });
    rl.once('close', () => {
      if (!answered) reject(new Interrupted());
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

/** A y/N question; only "y" or "yes" is yes. */
export async function confirm(question: string, io: PromptIo = {}): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `, io)).trim());
}
