/**
 * The command-line flags of the example runners (src/flags.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../src/flags.ts';

const SPEC = { port: 'port', workers: 'count', message: 'text' } as const;

describe('parseFlags', () => {
  it.each([
    [[], {}],
    [['--port', '0'], { port: 0 }],
    [['--', '--port', '65535', '--workers', '3'], { port: 65535, workers: 3 }],
    [['--port=7', '--message=a=b'], { port: 7, message: 'a=b' }],
    [['--message', 'hello world'], { message: 'hello world' }],
  ])('%j', (argv, flags) => {
    expect(parseFlags(argv, SPEC)).toEqual({ kind: 'run', flags });
  });

  it('answers --help and -h with help', () => {
    expect(parseFlags(['--port', '1', '--help'], SPEC)).toEqual({ kind: 'help' });
    expect(parseFlags(['-h'], SPEC)).toEqual({ kind: 'help' });
  });

  it.each([
    [['--verbose'], 'unknown option --verbose'],
    [['extra'], 'unexpected argument "extra"'],
    [['--port', '1', '--port', '2'], '--port given twice'],
    [['--port'], '--port needs a value'],
    [['--port', '--workers', '2'], '--port needs a value'],
    [['--port', '65536'], '--port must be an integer from 0 to 65535, got "65536"'],
    [['--port', '-1'], '--port must be an integer from 0 to 65535, got "-1"'],
    [['--port', '8x'], '--port must be an integer from 0 to 65535, got "8x"'],
    [['--workers', '0'], '--workers must be a positive integer, got "0"'],
    [['--workers', '1.5'], '--workers must be a positive integer, got "1.5"'],
    [['--constructor', '1'], 'unknown option --constructor'],
  ])('%j is refused: %s', (argv, message) => {
    expect(parseFlags(argv, SPEC)).toEqual({ kind: 'error', message });
  });
});
