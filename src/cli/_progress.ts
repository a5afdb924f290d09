/**
 * Progress of long operations: a line rewritten in place on a terminal, nothing when stderr
 * is piped, so scripts read only the final result.
 *
 * @module
 */

/** A progress line; {@linkcode showProgress} makes one. */
export interface Progress {
  /** Shows `done` of the total (of `total`, when it became known only now). */
  update(done: number, total?: number): void;
  /** Clears the line. */
  done(): void;
}

/** Shows "`verb` done/total" on stderr while it is a terminal. */
export function showProgress(verb: string, total: number): Progress {
  if (!Deno.stderr.isTerminal()) return { update() {}, done() {} };
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  return {
    update: (done, now = total) => write(`\r${verb} ${done}/${now}`),
    done: () => write("\r\x1b[2K"),
  };
}
