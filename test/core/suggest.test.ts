import { describe, expect, it } from 'vitest';
import { closest, closestCommand } from '../../core/suggest.js';

const commands = [
  'sandbox up',
  'sandbox down',
  'sandbox status',
  'sandbox logs',
  'sandbox heal',
  'sandbox fault',
  'region add',
  'region list',
  'region remove',
  'health',
  'drill failover',
  'version',
];

describe('suggest', () => {
  it('closest: the nearest candidate by edit distance, with _ for - and case ignored; none when far', () => {
    expect(closest('tokio', ['seoul', 'tokyo', 'na'])).toBe('tokyo');
    expect(closest('gateway_down', ['gateway-down', 'replication-pause'])).toBe('gateway-down');
    expect(closest('Seoul', ['seoul', 'tokyo'])).toBe('seoul');
    expect(closest('paris', ['seoul', 'tokyo', 'na'])).toBeUndefined();
  });

  it('closest: an alias wins over edit distance when it is a candidate', () => {
    expect(closest('stop', ['up', 'down', 'stat'], { stop: 'down' })).toBe('down');
    expect(closest('stop', ['up', 'stat'], { stop: 'down' })).toBe('stat');
  });

  it('closestCommand: aliases (stop, start, rm, ls), top-level words under their topic, arguments kept', () => {
    expect(closestCommand('sandbox stop', commands)).toBe('sandbox down');
    expect(closestCommand('sandbox start', commands)).toBe('sandbox up');
    expect(closestCommand('region rm paris', commands)).toBe('region remove paris');
    expect(closestCommand('region ls', commands)).toBe('region list');
    expect(closestCommand('logs', commands)).toBe('sandbox logs');
    expect(closestCommand('status', commands)).toBe('sandbox status');
    expect(closestCommand('up', commands)).toBe('sandbox up');
    expect(closestCommand('down', commands)).toBe('sandbox down');
    expect(closestCommand('stop', commands)).toBe('sandbox down');
  });

  it('closestCommand: restart is down (then up) without a restart command, itself with one', () => {
    expect(closestCommand('sandbox restart', commands)).toBe('sandbox down');
    expect(closestCommand('restart', [...commands, 'sandbox restart'])).toBe('sandbox restart');
  });

  it('closestCommand: edit distance for the rest, nothing for what is far from every command', () => {
    expect(closestCommand('helth', commands)).toBe('health');
    expect(closestCommand('drill failovr tokyo', commands)).toBe('drill failover tokyo');
    expect(closestCommand('xyzzy', commands)).toBeUndefined();
  });
});
