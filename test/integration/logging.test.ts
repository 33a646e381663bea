/**
 * Log lines in Go's format and levels: debug and protocol trace (with
 * secrets redacted from CONNECT) only when enabled.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

describe('logging', () => {
  it('traces protocol with -V semantics and redacts passwords', async () => {
    const lines: string[] = [];
    const s = await startServer({ trace: true, debug: true, logSink: (l) => lines.push(l) });
    try {
      const c = await RawConn.connect(s.port);
      await c.info();
      c.send('CONNECT {"verbose":false,"user":"u","pass":"hunter2"}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n');
      await c.flush();
      c.close();
      await waitFor(() => lines.some((l) => l.includes('Client connection closed')));
      const text = lines.join('\n');
      assert.match(text, /\[TRC\] 127\.0\.0\.1:\d+ - cid:\d+ - <<- \[CONNECT .*"pass":"\[REDACTED\]"/);
      assert.ok(!text.includes('hunter2'));
      assert.match(text, /\[TRC\] .* <<- \[SUB foo 1\]/);
      assert.match(text, /\[TRC\] .* <<- \[PUB foo 2\]/);
      assert.match(text, /\[DBG\] .* Client connection created/);
    } finally {
      await s.stop();
    }
  });

  it('logs nothing at debug/trace level by default', async () => {
    const lines: string[] = [];
    const s = await startServer({ logSink: (l) => lines.push(l) });
    try {
      const c = await RawConn.connect(s.port);
      await c.info();
      c.send('CONNECT {"verbose":false}\r\nSUB foo 1\r\n');
      await c.flush();
      c.close();
      assert.ok(lines.length > 0);
      assert.ok(lines.every((l) => !/\[(DBG|TRC)\]/.test(l)));
    } finally {
      await s.stop();
    }
  });
});
