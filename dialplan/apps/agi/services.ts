/**
 * What AGI needs from outside the dialplan: a line link to the AGI program (a FastAGI
 * TCP connection or a local process) and a way to put each exchange in the log. The
 * dialplan does no I/O of its own; the runtime injects these (interfaces/agi/), tests
 * inject scripted ones.
 *
 * Contract of a link: `send` never throws (a broken link shows up as `next` ending);
 * `next` resolves with the program's next line, or says the program closed the link,
 * failed, or sent nothing for `idleMs` (0: wait as long as it takes). Lines longer than
 * the link's stated limit end the link with an error rather than grow without bound.
 */

export type AgiRead =
  | { readonly kind: "line"; readonly text: string }
  /** The program closed the link; a local program's exit status once known. */
  | { readonly kind: "closed"; readonly exitCode?: number }
  | { readonly kind: "timeout" }
  | { readonly kind: "error"; readonly message: string };

export interface AgiLink {
  send(text: string): void;
  next(idleMs: number): Promise<AgiRead>;
  /** The channel hung up: a FastAGI server is sent `HANGUP`, a local program SIGHUP (unless `sighup` was false). */
  hangup(): void;
  close(): void;
}

/**
 * EAGI's file descriptor 3: the caller's audio goes here. Bounded: a frame the program
 * is not reading fast enough is dropped, never queued without limit.
 */
export interface AgiAudioSink {
  write(pcm: Uint8Array): void;
  end(): void;
}

export type AgiOpen =
  | { readonly kind: "open"; readonly link: AgiLink; readonly audio?: AgiAudioSink }
  /** A local program that does not exist (AGISTATUS NOTFOUND). */
  | { readonly kind: "notfound"; readonly message: string }
  /** Could not connect or start (AGISTATUS FAILURE). */
  | { readonly kind: "failed"; readonly message: string };

export interface AgiServices {
  /** agi_version. */
  readonly version: string;
  /** FastAGI: a TCP connection to host:port, given up after `connectMs`. */
  connect(host: string, port: number, connectMs: number): Promise<AgiOpen>;
  /** A local program (relative paths are under the AGI directory), run with `args`; EAGI asks for `enhanced`. */
  spawn(script: string, args: readonly string[], options: { readonly enhanced: boolean; readonly sighup: boolean }): Promise<AgiOpen>;
  /** `agi set debug on`: every line sent and received is logged too (AGI Tx >> / AGI Rx <<). */
  readonly debug?: () => boolean;
  /** Logs one exchange as an `agi.command` input of the channel actor `channelId`. */
  record(channelId: string, command: string, result: string): void;
}
