import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GLOBAL_OPTIONS, parseCommandArgs, splitCommand } from './options.js';

describe('command line options', () => {
  it('finds the command after global options that take values', () => {
    assert.deepEqual(splitCommand(['--api-url', 'http://x', '--json', 'models']), { command: 'models', rest: ['--api-url', 'http://x', '--json'] });
    assert.deepEqual(splitCommand(['generate', 'a cat', '--steps', '2']), { command: 'generate', rest: ['a cat', '--steps', '2'] });
    assert.deepEqual(splitCommand(['--api-url=http://x', 'status', 'gen_1']), { command: 'status', rest: ['--api-url=http://x', 'gen_1'] });
    assert.deepEqual(splitCommand(['--help']), { rest: ['--help'] });
  });

  it('converts numbers and names the flag when one is wrong', () => {
    const specs = { ...GLOBAL_OPTIONS, steps: { type: 'string', description: '' }, guidance: { type: 'string', description: '' } } as const;
    const { options, positionals } = parseCommandArgs(['a', '--steps', '4', '--guidance', '7.5', 'b', '--json'], specs, 'generate');
    assert.deepEqual(positionals, ['a', 'b']);
    assert.equal(options.integer('steps', 1), 4);
    assert.equal(options.number('guidance'), 7.5);
    assert.equal(options.flag('json'), true);
    assert.equal(options.integer('missing'), undefined);
    assert.throws(() => parseCommandArgs(['--steps', '2.5'], specs, 'generate').options.integer('steps'), /--steps: expected an integer, got "2.5"/);
    assert.throws(() => parseCommandArgs(['--steps', '0'], specs, 'generate').options.integer('steps', 1), /--steps: must be at least 1/);
    assert.throws(() => parseCommandArgs(['--guidance', 'lots'], specs, 'generate').options.number('guidance'), /--guidance: expected a number/);
    assert.throws(() => parseCommandArgs(['--nope'], specs, 'generate'), { name: 'UsageError', message: "Unknown option '--nope'", command: 'generate' });
  });
});
