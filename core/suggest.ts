/**
 * "Did you mean": the one place that names what a mistyped word probably meant, for commands, topics, region
 * keys, fault names and flag values. A known alias (stop for down, rm for remove) wins; otherwise the nearest
 * candidate by edit distance, when it is close enough to be meant.
 */

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate `input` probably meant: `aliases[input]` when it is a candidate, else the nearest candidate when
 * at most about a third of it differs (case and `_` for `-` are not differences); undefined otherwise.
 */
export function closest(
  input: string,
  candidates: Iterable<string>,
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const list = [...candidates];
  const typed = input.toLowerCase().replace(/_/g, '-');
  const alias = Object.hasOwn(aliases, typed) ? aliases[typed] : undefined;
  if (alias !== undefined && list.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of list) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(typed.length / 3)) ? best : undefined;
}

/** The words people type for a command's word (other tools' names for the same thing). */
const WORD_ALIASES: Readonly<Record<string, string>> = {
  stop: 'down',
  start: 'up',
  rm: 'remove',
  del: 'remove',
  delete: 'remove',
  ls: 'list',
  new: 'add',
  create: 'add',
  log: 'logs',
  inject: 'fault',
  break: 'fault',
  fix: 'heal',
  check: 'health',
};

/** Top-level words that belong to a topic: `chatctl logs` is `chatctl sandbox logs`. */
const TOPIC_OF: Readonly<Record<string, string>> = {
  up: 'sandbox',
  down: 'sandbox',
  start: 'sandbox',
  stop: 'sandbox',
  restart: 'sandbox',
  status: 'sandbox',
  logs: 'sandbox',
  log: 'sandbox',
  env: 'sandbox',
  fault: 'sandbox',
  heal: 'sandbox',
  failover: 'drill',
  surge: 'drill',
};

/** The command `words` name through aliases or their topic (`logs` -> `sandbox logs`), if it exists. */
function aliasedCommand(words: readonly string[], commands: readonly string[]): string | undefined {
  const aliased = words.map((word) => (Object.hasOwn(WORD_ALIASES, word) ? WORD_ALIASES[word] : word));
  const topic = Object.hasOwn(TOPIC_OF, words[0]) ? TOPIC_OF[words[0]] : undefined;
  const tries = [
    aliased.join(' '),
    ...(topic ? [[topic, ...words].join(' '), [topic, ...aliased].join(' ')] : []),
  ];
  return tries.find((attempt) => commands.includes(attempt));
}

/**
 * What a mistyped command line (space-separated words, arguments included) probably meant among `commands`:
 * the words with their aliases or under their topic (`region rm x` -> `region remove x`, `logs` ->
 * `sandbox logs`), then the nearest command of as many words by edit distance; the words after the command
 * are kept.
 * `restart` with no restart command is `down` (the caller says "then up").
 */
export function closestCommand(typed: string, commands: readonly string[]): string | undefined {
  const words = typed.trim().split(/\s+/);
  const withRest = (command: string, n: number) => [command, ...words.slice(n)].join(' ');
  for (let n = words.length; n >= 1; n--) {
    const found = aliasedCommand(words.slice(0, n), commands);
    if (found) return withRest(found, n);
    if (words[n - 1] === 'restart') {
      const down = aliasedCommand([...words.slice(0, n - 1), 'down'], commands);
      if (down) return withRest(down, n);
    }
  }
  for (let n = words.length; n >= 1; n--) {
    const sameLength = commands.filter((command) => command.split(' ').length === n);
    const found = closest(words.slice(0, n).join(' '), sameLength);
    if (found) return withRest(found, n);
  }
  return undefined;
}
