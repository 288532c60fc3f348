import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { StatusLine } from './status-line.js';

class Capture extends Writable {
  text = '';

  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('status line', () => {
  it('redraws one line in place on a terminal, cut short of its last column', () => {
    const stream = new Capture(true, 30);
    const line = new StatusLine(stream);
    line.update('step 1/4');
    line.update('step 1/4');
    line.update('step 2/4 and a very long tail that does not fit');
    line.log('warning: something');
    line.finish();
    assert.equal(
      stream.text,
      '\r\x1b[2Kstep 1/4' + '\r\x1b[2Kstep 2/4 and a very long tai…' + '\r\x1b[2Kwarning: something\n' + '\r\x1b[2Kstep 2/4 and a very long tai…' + '\n',
    );
  });

  it('writes each new state as a plain line elsewhere', () => {
    const stream = new Capture(false);
    const line = new StatusLine(stream);
    line.update('step 1/4');
    line.update('step 1/4');
    line.update('step 2/4');
    line.log('note');
    line.finish();
    assert.equal(stream.text, 'step 1/4\nstep 2/4\nnote\n');
  });
});
