// Serving an attached stdio session (container attach, exec start) over a hijacked connection.
import type { Ctx } from './context.js';
import type { StdioSession } from './backend.js';
import { frame, MUX_CONTENT_TYPE, RAW_CONTENT_TYPE, streamId } from './mux.js';

export async function serveSession(ctx: Ctx, session: StdioSession, wantStdin: boolean): Promise<void> {
  const conn = ctx.t.hijack(session.tty ? RAW_CONTENT_TYPE : MUX_CONTENT_TYPE);
  let closed = false;
  const finish = (): void => { if (!closed) { closed = true; session.close(); } };
  void conn.closed.then(finish);
  if (wantStdin && session.writeStdin) {
    const write = session.writeStdin.bind(session);
    void (async () => {
      try {
        // One chunk at a time: the socket stays paused while the process has not taken the last.
        for await (const chunk of conn.input as AsyncIterable<Buffer>) {
          if (closed) break;
          await write(chunk);
        }
        if (!closed) session.closeStdin?.();
      } catch {
        finish();
      }
    })();
  } else {
    conn.input.resume();
  }
  try {
    for await (const c of session.output) {
      if (closed) break;
      await conn.write(session.tty ? c.data : frame(streamId(c.stream), c.data));
    }
  } finally {
    finish();
    conn.end();
  }
}
